"""A fake Mollie v2 API (raw ASGI; serve it with `running(fake)`), speaking Mollie's wire format.

- `Authorization: Bearer test_…|live_…` with a key it knows (else 401 in Mollie's error shape); a `test_` key
  sees only test-mode payments, a `live_` key only live ones, as on Mollie. Answers are `application/hal+json`.
- `POST /v2/payments` → 201 payment (`open`, `_links.checkout`, `expiresAt`); `GET /v2/payments/{id}`;
  `GET /v2/payments` → HAL list, newest first (`from`, `limit`);
  `POST /v2/payments/{id}/refunds` → 201 refund (`pending`, or `queued` with `refund_status`);
  `GET /v2/payments/{id}/refunds` → HAL list. Amounts and fields are checked as Mollie does (`mollie_resources`).
- `Idempotency-Key` on POSTs: the same key and request get the first answer again (nothing new is created); the
  same key with a different request is refused with 422.
- Mollie's side: `set_payment_status`, `set_refund_status`, `add_refund` (made in the dashboard: no metadata).
- Switches, per endpoint ("create_payment", "get_payment", "list_payments", "create_refund", "list_refunds") or
  None for any:
  `delay` (do the work, answer late), `fail` (5xx/429 without doing anything; 429 with `Retry-After: 7`),
  `garble` (200, not JSON); `float_amounts` answers amounts as JSON numbers (Mollie never does).
- `calls` records every request with its endpoint: `count("get_payment") == 0` proves nothing was fetched.
- `deliver(url, tr_id)` POSTs the webhook exactly as Mollie does: form-encoded `id=tr_…`, no signature.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.provider_fakes.mollie_resources import (
    PAYMENT_STATUSES,
    REFUND_STATUSES,
    FakePayment,
    FakeRefund,
    Refused,
    amount_of,
    checked_metadata,
    new_id,
    payment_list,
    refund_list,
    required_text,
    with_float_amounts,
)

API_KEY = "test_FakeMollieKey0123456789abcdefg"  # the shape of Mollie's test keys: test_ + 30 alphanumerics
WEBHOOK_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Mollie HTTP client/1.0"}
_PAYMENT = re.compile(r"/v2/payments/([^/]+)")
_REFUNDS = re.compile(r"/v2/payments/([^/]+)/refunds")


@dataclass(frozen=True)
class Call:
    endpoint: str | None
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class _Fault:
    endpoint: str | None
    calls: int
    delay: float = 0.0
    status: int | None = None
    raw: bytes | None = None


@dataclass(frozen=True)
class _Answered:
    request: tuple[str, str, Any]  # endpoint, path, body
    status: int
    payload: dict[str, Any]


@dataclass
class FakeMollie:
    api_keys: set[str] = field(default_factory=lambda: {API_KEY})
    refund_status: str = "pending"  # what a new refund is: "pending", or "queued" (Mollie lacks the balance)
    float_amounts: bool = False
    payments: dict[str, FakePayment] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    _answered: dict[tuple[str, str], _Answered] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- switches and records ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forgets everything (for a server shared by several tests)."""
        with self._lock:
            self.api_keys, self.refund_status, self.float_amounts = {API_KEY}, "pending", False
            for kept in (self.payments, self.calls, self._answered, self._faults):
                kept.clear()

    def delay(self, seconds: float, endpoint: str | None = None, *, calls: int = 1) -> None:
        self._faults.append(_Fault(endpoint, calls, delay=seconds))

    def fail(self, status: int = 500, endpoint: str | None = None, *, calls: int = 1) -> None:
        self._faults.append(_Fault(endpoint, calls, status=status))

    def garble(self, endpoint: str | None = None, *, calls: int = 1) -> None:
        self._faults.append(_Fault(endpoint, calls, status=200, raw=b"<html>upstream hiccup</html>"))

    def calls_to(self, endpoint: str) -> list[Call]:
        return [call for call in self.calls if call.endpoint == endpoint]

    def count(self, endpoint: str) -> int:
        return len(self.calls_to(endpoint))

    # ---- Mollie's side --------------------------------------------------------------------------------------
    def payment_for(self, our_payment_id: str) -> FakePayment:
        [found] = [p for p in self.payments.values() if (p.metadata or {}).get("payment_id") == our_payment_id]
        return found

    def set_payment_status(self, payment_id: str, status: str) -> FakePayment:
        assert status in PAYMENT_STATUSES, status
        with self._lock:
            payment = self.payments[payment_id]
            payment.status = status
            if status not in ("open", "pending"):
                payment.changed_at[status] = payment.changed_at.get(status) or datetime.now(UTC)
            return payment

    def set_refund_status(self, refund_id: str, status: str) -> FakeRefund:
        assert status in REFUND_STATUSES, status
        with self._lock:
            [refund] = [r for p in self.payments.values() for r in p.refunds if r.id == refund_id]
            refund.status = status
            return refund

    def add_refund(self, payment_id: str, value: str, *, metadata: Any = None, status: str = "pending") -> FakeRefund:
        """A refund made outside our service (Mollie's dashboard): no metadata of ours unless given."""
        with self._lock:
            payment = self.payments[payment_id]
            made = (new_id("re_"), payment.id, payment.mode, payment.currency, Decimal(value), None, metadata)
            refund = FakeRefund(*made, status=status)
            payment.refunds.append(refund)
            return refund

    @staticmethod
    def webhook_body(payment_id: str) -> bytes:
        return f"id={payment_id}".encode("ascii")

    def deliver(self, url: str, payment_id: str) -> httpx.Response:
        """POSTs Mollie's webhook for `payment_id` to `url`: no signature, no status, only the id."""
        return httpx.post(url, content=self.webhook_body(payment_id), headers=WEBHOOK_HEADERS, timeout=10)

    # ---- the API --------------------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        if path == "/__health":
            await _answer(send, 200, {"ok": True})
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        call = Call(_endpoint(method, path), method, path, _query(scope), headers, _json(raw))
        self.calls.append(call)
        fault = self._take_fault(call.endpoint)
        if fault is not None and fault.status is not None:
            await _answer(send, fault.status, Refused(fault.status, "Try again later").as_json(), fault.raw)
            return
        with self._lock:
            status, payload = self._answer(call, f"http://{headers.get('host', 'localhost')}")
        if fault is not None:
            await asyncio.sleep(fault.delay)
        await _answer(send, status, with_float_amounts(payload) if self.float_amounts else payload)

    def _take_fault(self, endpoint: str | None) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (None, endpoint) and fault.calls > 0:
                    fault.calls -= 1
                    return fault
        return None

    def _answer(self, call: Call, base: str) -> tuple[int, dict[str, Any]]:
        key = call.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            if key not in self.api_keys or not key.startswith(("test_", "live_")):
                raise Refused(401, "Missing authentication, or failed to authenticate")
            if call.endpoint is None:
                raise Refused(404, "The resource could not be found")
            idempotency_key = call.headers.get("idempotency-key") if call.method == "POST" else None
            if idempotency_key is None:
                return self._route(call, key, base)
            return self._idempotent(call, key, idempotency_key, base)
        except Refused as refused:
            return refused.status, refused.as_json()

    def _idempotent(self, call: Call, key: str, idempotency_key: str, base: str) -> tuple[int, dict[str, Any]]:
        request = (call.endpoint or "", call.path, call.body)
        earlier = self._answered.get((key, idempotency_key))
        if earlier is not None:
            if earlier.request != request:
                raise Refused(422, "The Idempotency-Key was already used for a different request")
            return earlier.status, earlier.payload
        status, payload = self._route(call, key, base)
        if 200 <= status < 300:  # only what was done is remembered; a refusal may be retried
            self._answered[(key, idempotency_key)] = _Answered(request, status, payload)
        return status, payload

    def _route(self, call: Call, key: str, base: str) -> tuple[int, dict[str, Any]]:
        mode = "live" if key.startswith("live_") else "test"
        if call.endpoint == "create_payment":
            return 201, self._create_payment(call.body, mode).as_json(base)
        if call.endpoint == "list_payments":  # only the key's mode, as on Mollie
            return 200, payment_list([p for p in self.payments.values() if p.mode == mode], call.query, base)
        payment = self._visible(call.path.split("/")[3], mode)  # /v2/payments/{id}[/refunds]
        if call.endpoint == "get_payment":
            return 200, payment.as_json(base)
        if call.endpoint == "create_refund":
            return 201, self._create_refund(payment, call.body).as_json(base)
        return 200, refund_list(payment, call.query, base)

    def _visible(self, payment_id: str, mode: str) -> FakePayment:
        payment = self.payments.get(payment_id)
        if payment is None or payment.mode != mode:
            raise Refused(404, f"No payment exists with token {payment_id}.")
        return payment

    def _create_payment(self, body: Any, mode: str) -> FakePayment:
        if not isinstance(body, dict):
            raise Refused(400, "The request body is not valid JSON")
        currency, value = amount_of(body.get("amount"))
        description, redirect_url = required_text(body, "description"), required_text(body, "redirectUrl")
        payment = FakePayment(
            new_id("tr_"),
            mode,
            currency,
            value,
            description,
            redirect_url,
            body.get("webhookUrl"),
            body.get("cancelUrl"),
            checked_metadata(body.get("metadata")),
        )
        self.payments[payment.id] = payment
        return payment

    def _create_refund(self, payment: FakePayment, body: Any) -> FakeRefund:
        if not isinstance(body, dict):
            raise Refused(400, "The request body is not valid JSON")
        currency, value = amount_of(body.get("amount"))
        if payment.status != "paid":
            raise Refused(422, f"The payment {payment.id} is {payment.status} and cannot be refunded")
        if currency != payment.currency:
            raise Refused(422, f"The refund must be in the payment's currency {payment.currency}", "amount.currency")
        if value > payment.remaining:
            raise Refused(422, "The amount is higher than the amount that can be refunded", "amount.value")
        refund = FakeRefund(
            new_id("re_"),
            payment.id,
            payment.mode,
            currency,
            value,
            body.get("description"),
            checked_metadata(body.get("metadata")),
            status=self.refund_status,
        )
        payment.refunds.append(refund)
        return refund


def _endpoint(method: str, path: str) -> str | None:
    if path == "/v2/payments":
        return {"POST": "create_payment", "GET": "list_payments"}.get(method)
    if _REFUNDS.fullmatch(path):
        return {"POST": "create_refund", "GET": "list_refunds"}.get(method)
    if _PAYMENT.fullmatch(path):
        return "get_payment" if method == "GET" else None
    return None


def _query(scope: dict[str, Any]) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_float=Decimal) if raw else None
    except ValueError:
        return None


async def _answer(send: Any, status: int, payload: dict[str, Any], raw: bytes | None = None) -> None:
    body = json.dumps(payload).encode() if raw is None else raw
    headers = [(b"content-type", b"application/hal+json"), (b"content-length", str(len(body)).encode())]
    if status == 429:
        headers.append((b"retry-after", b"7"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
