"""The simulator: a payment provider that lives inside the service, for development and demos.

It behaves like a real provider seen from the outside. Checkout hands out a hosted page
(`/simulator/checkout/{payment_id}`) whose Pay (Authorize, for a manual-capture payment) and Decline buttons send
a signed webhook; a refund, and a capture, is answered `pending` and settled after
PAYMENTS_SIMULATOR_SETTLE_DELAY_SECONDS by a signed webhook: `refund.succeeded`, or `refund.failed` when the
refund's note is exactly `simulate:fail` (API.md); a capture always succeeds (`payment.succeeded` with the
captured amount), and with no delay it is confirmed in the call. Every webhook travels over HTTP to our own
public URL, `POST {public_url}/api/v1/webhooks/simulator`, so it exercises the same path as a real provider's.
The wire format is in `wire.py`.

Header `Simulator-Signature: t=<unix>,v1=<hex>`: Stripe's scheme (see `signing.py`) with
PAYMENTS_SIMULATOR_WEBHOOK_SECRET, a comma-separated list for rotation: what the simulator sends is signed with
the first secret, and a webhook signed with any of them is accepted. Payment events get a fresh id per button
press, so pressing Pay twice sends two distinct events (the state machine ignores the second). A settlement's
event id is derived from the refund (or, for a capture, the payment), so repeating it can only ever be
recognised as a duplicate.

The janitor asks the simulator as it asks a real provider, and the simulator keeps no memory that a restart
could lose: what it decides is a pure function of what the service stores. A refund is settled once the delay
has passed since it was created; a capture once it has passed since it was requested (the payment's last
change): a settlement webhook cancelled by a shutdown is answered by `lookup_refund` or `lookup_payment`
instead. A payment is paid, authorized or declined only by a press on its page, which delivers its webhook
before answering, so nothing else is left to look up: an unpaid payment stays `processing` until the janitor
expires it with its checkout, and an uncaptured authorization is expired when its hold (7 days) ends.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal

import httpx
import msgspec

from application.data.provider_news import (
    CheckoutSession,
    MissedEvent,
    ProviderCapture,
    ProviderEvent,
    ProviderRefund,
)
from application.errors import ProviderUnavailable
from application.ports.clock import Clock
from application.ports.payment_provider import MayTakeMoney
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.status import RefundStatus
from domain.shared.money import Currency, Money
from infrastructure.providers.signing import sign, verify
from infrastructure.providers.simulator.wire import (
    PROVIDER,
    Event,
    EventData,
    capture_settlement,
    decode,
    refund_settlement,
    translate,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Simulator-Signature"
CHECKOUT_LIFETIME = timedelta(hours=1)
DEFAULT_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # seconds before each retry of a webhook POST
PressOutcome = Literal["succeeded", "authorized", "failed"]


class SimulatorPaymentProvider:
    name = PROVIDER
    supports_manual_capture = True

    def __init__(
        self,
        public_url: str,
        webhook_secrets: tuple[str, ...],
        settle_delay_seconds: float,
        http: httpx.AsyncClient,
        clock: Clock,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.webhook_url = f"{self.public_url}/api/v1/webhooks/simulator"
        self._secrets = webhook_secrets  # the first signs what we send; any verifies
        self._settle_delay = settle_delay_seconds
        self._http, self._clock = http, clock
        self._retry_delays = tuple(retry_delays)
        # Strong references: the event loop keeps only weak ones, and a collected task is a lost settlement.
        self._settlements: dict[str, asyncio.Task[None]] = {}

    def supports(self, currency: Currency) -> bool:
        return True

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        # Everything derives from the payment, so a repeated call returns the same session.
        return CheckoutSession(
            provider_reference=f"sim_cs_{payment.id}",
            checkout_url=f"{self.public_url}/simulator/checkout/{payment.id}",
            expires_at=payment.created_at + CHECKOUT_LIFETIME,
        )

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        self._settle_later(refund.id, refund_settlement(payment, refund, created=self._now()))
        return ProviderRefund(provider_reference=f"sim_re_{refund.id}", status=RefundStatus.PENDING)

    async def capture(self, payment: Payment, amount: Money) -> ProviderCapture:
        """Confirmed in the call with no settle delay; else pending, and settled by webhook after it."""
        reference = f"sim_cap_{payment.id}"
        if self._settle_delay <= 0:
            return ProviderCapture(succeeded=True, provider_reference=reference)
        self._settle_later(payment.id, capture_settlement(payment, amount.amount, created=self._now()))
        return ProviderCapture(succeeded=False, provider_reference=reference)

    async def cancel(self, payment: Payment) -> None:
        """Nothing is held anywhere but in our books: the page shows the cancelled payment, without buttons."""
        return None

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderEvent:
        lowered = {key.lower(): value for key, value in headers.items()}
        now = int(at.timestamp()) if at is not None else self._now()
        verify(lowered.get(SIGNATURE_HEADER.lower()), body, self._secrets, now, provider=self.name)
        return decode(body)

    # ---- used by the hosted checkout page ---------------------------------------------------------------
    async def confirm(self, event: ProviderEvent, may_take_money: MayTakeMoney | None = None) -> ProviderEvent:
        """Simulator events are final as signed; nothing to confirm."""
        return event

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        """A capture's settlement once its delay has passed (the same event its webhook carries); else nothing
        final to tell: a press on the page delivers its webhook before the page answers (module doc)."""
        if payment.capture_requested is None:
            return None
        settles_at = payment.updated_at + timedelta(seconds=self._settle_delay)
        if self._clock.now() < settles_at:
            return None
        settlement = capture_settlement(payment, payment.capture_requested, created=int(settles_at.timestamp()))
        return translate(settlement, settles_at)

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        """The simulator delivers every event it makes: nothing to pull back."""
        return []

    async def pulled_event(self, event_id: str) -> MissedEvent | None:
        return None  # nothing is pulled (missed_events), so nothing is fetched again

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        """The refund's settlement, the same event its webhook carries, once its delay has passed; until then
        None (still pending), as a real provider answers about a refund it has not settled yet."""
        settles_at = refund.created_at + timedelta(seconds=self._settle_delay)
        if self._clock.now() < settles_at:
            return None
        return translate(refund_settlement(payment, refund, created=int(settles_at.timestamp())), settles_at)

    def payment_event(self, payment_id: str, amount: int, currency: str, outcome: PressOutcome) -> bytes:
        """A payment event body with a fresh id: each button press is a distinct event."""
        reason = "declined on the simulator's checkout page" if outcome == "failed" else None
        event = Event(
            id=f"evt_sim_{uuid.uuid4().hex}",
            type=f"payment.{outcome}",
            created=self._now(),
            data=EventData(payment_id=payment_id, amount=amount, currency=currency, reason=reason),
        )
        return msgspec.json.encode(event)

    async def deliver(self, body: bytes) -> int:
        """Signs `body` and POSTs it to our webhook URL; retries connection errors and 5xx with short backoff.

        Returns the last HTTP status; raises ProviderUnavailable if the URL could never be reached.
        """
        for attempt, delay in enumerate((*self._retry_delays, None)):
            try:
                status = await self._post(body)
            except httpx.TransportError as error:
                if delay is None:
                    raise ProviderUnavailable(self.name, f"cannot reach {self.webhook_url}: {error!r}") from None
                log.warning("simulator webhook attempt %d failed: %r; retrying", attempt + 1, error)
            else:
                if status < 500 or delay is None:
                    return status
                log.warning("simulator webhook attempt %d answered %d; retrying", attempt + 1, status)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def aclose(self) -> None:
        """Cancels settlements not yet delivered (the janitor settles those refunds by asking later)."""
        tasks = list(self._settlements.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---- internals ----------------------------------------------------------------------------------------
    def _settle_later(self, key: str, settlement: Event) -> None:
        """Sends `settlement` after the delay, once per refund or capture however often it is asked for."""
        if key in self._settlements:
            return
        task = asyncio.create_task(self._deliver_later(key, msgspec.json.encode(settlement)), name=f"sim-{key}")
        self._settlements[key] = task
        task.add_done_callback(lambda _: self._settlements.pop(key, None))

    async def _deliver_later(self, key: str, body: bytes) -> None:
        await asyncio.sleep(self._settle_delay)
        try:
            status = await self.deliver(body)
        except ProviderUnavailable as error:
            log.warning("%s settlement webhook not delivered: %s", key, error.reason)
            return
        except Exception:  # a background task has no caller to tell: log, never crash silently
            log.exception("%s settlement webhook failed", key)
            return
        if not 200 <= status < 300:
            log.warning("%s settlement webhook answered %d", key, status)

    async def _post(self, body: bytes) -> int:
        # Signed at each attempt: a retry minutes later must not fall outside the receiver's tolerance.
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secrets[0], body, self._now()),
        }
        response = await self._http.post(self.webhook_url, content=body, headers=headers)
        return response.status_code

    def _now(self) -> int:
        return int(self._clock.now().timestamp())
