"""Signed order callbacks over httpx, on the container's shared client.

Each attempt is signed afresh (`Payments-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the
Stripe scheme of signing.py): the timestamp must be recent for the receiver's replay window, while the body
stays byte-for-byte the same. While PAYMENTS_CALLBACK_SECRET is rotated (`new,old`), the header carries one
`v1` per secret, the new one's first: an order system that still holds only the old secret, or already only
the new one, verifies every callback, so the two sides change their secrets independently. Redirects are never followed (a signed payload must not travel to wherever a
3xx points). Only the status matters: a body of a declared length up to KEPT_BODY_LIMIT (or a 204's none) is
read (so the connection is kept), any other is never read, so a hostile receiver cannot make us download more than that. A receiver at an address callbacks may not go to is refused before anything is sent
(public_address_transport.py): the attempt records why, and nothing the address might have answered.
"""

from __future__ import annotations

import time

import httpx

from application.data.callbacks import DeliveryResult
from application.ports.clock import Clock
from infrastructure.callbacks.public_address_transport import CallbackAddressRefused
from infrastructure.providers.signing import sign

SIGNATURE_HEADER = "Payments-Signature"
USER_AGENT = "payments-callbacks/1.0"
TIMEOUT_SECONDS = 10.0
# A short answer is read so that its connection is kept for the next callback (an unread body closes it: a new
# TCP connection per callback cost the worker a tenth of its CPU at 500 callbacks a second).
KEPT_BODY_LIMIT = 4096


class HttpCallbackSender:
    def __init__(
        self,
        http: httpx.AsyncClient,
        secret: str,
        clock: Clock,
        *,
        timeout_seconds: float = TIMEOUT_SECONDS,
        previous_secrets: tuple[str, ...] = (),
    ) -> None:
        self._http, self._secret, self._previous, self._clock = http, secret, previous_secrets, clock
        self._timeout = httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds))

    async def post(self, url: str, body: bytes) -> DeliveryResult:
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(self._secret, body, timestamp, *self._previous),
        }
        started = time.perf_counter()
        try:
            async with self._http.stream(
                "POST", url, content=body, headers=headers, timeout=self._timeout, follow_redirects=False
            ) as response:
                status = response.status_code
                if _short(response):  # read, the connection goes back to the pool for the next callback
                    await response.aread()
        except CallbackAddressRefused as refused:
            return DeliveryResult(None, _elapsed_ms(started), f"refused: {refused}", refused=True)
        except httpx.TimeoutException as error:
            return DeliveryResult(None, _elapsed_ms(started), f"timed out ({type(error).__name__})")
        except httpx.HTTPError as error:  # refused, DNS, TLS, protocol: the receiver is unreachable
            return DeliveryResult(None, _elapsed_ms(started), f"{type(error).__name__}: {error}"[:300])
        latency = _elapsed_ms(started)
        if 200 <= status < 300:
            return DeliveryResult(status, latency, None)
        return DeliveryResult(status, latency, f"HTTP {status}")


def _short(response: httpx.Response) -> bool:
    """A body of a declared length within KEPT_BODY_LIMIT, or none at all (204: a common answer to a webhook).
    Anything else stays unread and its connection is closed: a receiver still cannot make us download more."""
    if response.status_code == 204:
        return True
    length = response.headers.get("content-length", "")
    return length.isdigit() and int(length) <= KEPT_BODY_LIMIT


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def build_callback_sender(
    secret: str | None, http: httpx.AsyncClient, clock: Clock, previous_secrets: tuple[str, ...] = ()
) -> HttpCallbackSender | None:
    """None without PAYMENTS_CALLBACK_SECRET: callbacks are then off altogether (the relay creates no
    notifications), because an unsigned callback could not be told apart from a forged one."""
    return HttpCallbackSender(http, secret, clock, previous_secrets=previous_secrets) if secret else None
