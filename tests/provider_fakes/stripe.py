"""A fake Stripe API that speaks Stripe's wire format, for the adapter's integration and e2e tests.

Run it with `running(fake)` (tests/provider_fakes/server.py); point the adapter at the URL it yields.

What it does like Stripe (https://docs.stripe.com/api):
- form-encoded POST bodies with bracket keys (`line_items[0][price_data][currency]=usd`), as the SDK sends them;
- `Authorization: Bearer sk_…` checked: a wrong key is a 401 with Stripe's error JSON and a masked key;
- `Idempotency-Key` honoured per API key: the same key replays the stored answer (`Idempotent-Replayed: true`),
  the same key with other parameters is a 400 `idempotency_error`; 5xx answers are not stored;
- Checkout Sessions (`cs_test_…`, a PaymentIntent `pi_…` each), refunds (`re_…`, `pending` at first), and the
  GET endpoints the adapter uses; errors as `{"error": {"type", "message", "code", "param"}}`.

What tests drive: `slow_next` (the work is done, the answer is late: a lost answer), `fail_next` (an error before
any work), `requests` (everything received), and the customer's and Stripe's side of the story: `pay`,
`complete_unpaid`, `async_payment`, `expire`, `settle_refund`, `dispute`; each returns real event payloads
(`StripeEvent`), which `deliver` signs with Stripe's scheme (`t=…,v1=…`) and POSTs to our webhook URL.

Every event made is kept (`events`); `undelivered(*events)` marks events whose delivery failed, which
`GET /v1/events?delivery_success=false&created[gte]=…` lists back (newest first, `limit` / `starting_after` /
`has_more` pages, Stripe's list envelope), as Stripe does for 30 days.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

API_VERSION = "2026-10-28.endive"
_Receive = Callable[[], Awaitable[dict[str, Any]]]
_Send = Callable[[dict[str, Any]], Awaitable[None]]
_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass(frozen=True)
class StripeEvent:
    id: str
    type: str
    body: bytes

    @property
    def object(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)["data"]["object"]
        return data


@dataclass
class _Rule:
    times: int
    path: str | None
    method: str | None
    seconds: float = 0.0
    status: int = 0
    message: str = ""
    code: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and (self.method is None or self.method == method)
            and (self.path is None or path.startswith(self.path))
        )


class StripeApiError(Exception):
    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error", **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": kind, "message": message, **{k: v for k, v in extra.items() if v}}}


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def parse_form(raw: str) -> dict[str, Any]:
    """`a[b][0][c]=1` → `{"a": {"b": [{"c": "1"}]}}`: Stripe's form encoding of nested parameters."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        path = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node = result
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    listified: dict[str, Any] = _listify(result)
    return listified


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def stripe_signature(secret: str, body: bytes, timestamp: int) -> str:
    """Stripe's scheme, written out independently of the code under test (https://docs.stripe.com/webhooks)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class FakeStripe:
    secret_key: str = "sk_test_fake_" + "0" * 24
    webhook_secret: str = "whsec_fake_" + "0" * 24
    api_base: str = ""  # set by whoever runs it: the URL `running()` yielded
    webhook_url: str | None = None  # where `deliver` sends events: our /api/v1/webhooks/stripe
    # When set ("succeeded" or "failed"), a new refund is settled and its refund.updated delivered to
    # webhook_url BEFORE the refund call is answered (with the refund as it was created: pending).
    settle_refunds_before_answering: str | None = None
    requests: list[Recorded] = field(default_factory=list)
    deliveries: list[httpx.Response] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, StripeEvent] = field(default_factory=dict)  # every event made, oldest first
    failed_deliveries: set[str] = field(default_factory=set)  # event ids whose delivery never succeeded
    _idempotent: dict[tuple[str, str], tuple[Any, int, bytes]] = field(default_factory=dict)
    _rules: list[_Rule] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ---- switches --------------------------------------------------------------------------------------
    def slow_next(self, seconds: float, *, path: str | None = None, method: str | None = None, times: int = 1) -> None:
        """The next matching calls do their work, then answer only after `seconds` (an answer lost in transit)."""
        with self._lock:
            self._rules.append(_Rule(times, path, method, seconds=seconds))

    def fail_next(
        self,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        path: str | None = None,
        method: str | None = None,
        times: int = 1,
    ) -> None:
        """The next matching calls fail with `status` before doing anything (not stored for idempotency)."""
        text = message or ("An unknown error occurred" if status >= 500 else "Invalid request")
        with self._lock:
            self._rules.append(_Rule(times, path, method, status=status, message=text, code=code))

    def received(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # ---- ASGI ------------------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: _Receive, send: _Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        if path == "/__health":
            await _respond(send, 200, {"ok": True})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        raw = body.decode() if method == "POST" else scope["query_string"].decode()
        request = Recorded(method, path, parse_form(raw), headers)
        self.requests.append(request)
        status, payload, extra_headers, delay = await self._handle(request)
        if delay:
            await asyncio.sleep(delay)
        await _respond(send, status, payload, extra_headers)

    async def _handle(self, request: Recorded) -> tuple[int, Any, dict[str, str], float]:
        key = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if key != self.secret_key:
            masked = f"{key[:8]}{'*' * max(0, len(key) - 12)}{key[-4:]}" if len(key) > 12 else "****"
            body = StripeApiError(401, f"Invalid API Key provided: {masked}").body
            return 401, body, {}, 0.0
        delay = 0.0
        with self._lock:
            for rule in self._rules:
                if rule.matches(request.method, request.path):
                    rule.times -= 1
                    if rule.status:
                        kind = "api_error" if rule.status >= 500 else "invalid_request_error"
                        return (
                            rule.status,
                            StripeApiError(rule.status, rule.message, kind=kind, code=rule.code).body,
                            {},
                            0,
                        )
                    delay = rule.seconds
                    break
        idempotency = request.idempotency_key if request.method == "POST" else None
        fingerprint = (request.path, json.dumps(request.params, sort_keys=True))
        if idempotency:
            with self._lock:
                stored = self._idempotent.get((key, idempotency))
            if stored is not None:
                if stored[0] != fingerprint:
                    message = (
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{idempotency}' if you meant to execute a "
                        "different request."
                    )
                    return 400, StripeApiError(400, message, kind="idempotency_error").body, {}, delay
                return stored[1], json.loads(stored[2]), {"idempotent-replayed": "true"}, delay
        try:
            status, payload = 200, await self._route(request)
        except StripeApiError as error:
            status, payload = error.status, error.body
        if idempotency and status < 500:
            with self._lock:
                self._idempotent[(key, idempotency)] = (fingerprint, status, json.dumps(payload).encode())
        return status, payload, {}, delay

    async def _route(self, request: Recorded) -> Any:
        method, path, params = request.method, request.path, request.params
        if method == "GET" and path == "/v1/events":
            return self._list_events(params)
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        if method == "POST" and path == "/v1/refunds":
            return await self._create_refund(params)
        if method == "GET" and path == "/v1/refunds":
            intent = params.get("payment_intent")
            found = [r for r in self.refunds.values() if intent is None or r["payment_intent"] == intent]
            found.sort(key=lambda r: r["created"], reverse=True)
            limit = int(params.get("limit", 10))
            return {"object": "list", "data": found[:limit], "has_more": len(found) > limit, "url": "/v1/refunds"}
        for prefix, store, noun in (
            ("/v1/checkout/sessions/", self.sessions, "checkout.session"),
            ("/v1/payment_intents/", self.payment_intents, "payment_intent"),
            ("/v1/refunds/", self.refunds, "refund"),
            ("/v1/charges/", self.charges, "charge"),
        ):
            if method == "GET" and path.startswith(prefix):
                object_id = path.removeprefix(prefix)
                if object_id not in store:
                    raise StripeApiError(404, f"No such {noun}: '{object_id}'", code="resource_missing", param="id")
                return store[object_id]
        raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def _list_events(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            listed = [json.loads(e.body) for e in reversed(self.events.values())]  # newest first
            failed = set(self.failed_deliveries)
        if "delivery_success" in params:
            wanted = params["delivery_success"] == "true"
            listed = [e for e in listed if (e["id"] not in failed) == wanted]
        created = params.get("created")
        if isinstance(created, dict) and "gte" in created:
            listed = [e for e in listed if e["created"] >= int(created["gte"])]
        elif created is not None and not isinstance(created, dict):
            listed = [e for e in listed if e["created"] == int(created)]
        after = params.get("starting_after")
        if after:
            ids = [e["id"] for e in listed]
            if after not in ids:
                raise StripeApiError(400, f"No such event: '{after}'", code="resource_missing", param="starting_after")
            listed = listed[ids.index(after) + 1 :]
        limit = int(params.get("limit", 10))
        if not 1 <= limit <= 100:
            raise StripeApiError(400, "Invalid integer: limit must be between 1 and 100", param="limit")
        return {"object": "list", "data": listed[:limit], "has_more": len(listed) > limit, "url": "/v1/events"}

    # ---- resources -------------------------------------------------------------------------------------
    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("mode") != "payment":
            raise StripeApiError(400, "Missing required param: mode.", code="parameter_missing", param="mode")
        if not params.get("success_url"):
            raise StripeApiError(400, "Missing required param: success_url.", param="success_url")
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise StripeApiError(400, "Missing required param: line_items.", param="line_items")
        total, currency = 0, None
        for index, item in enumerate(items):
            price = item.get("price_data") or {}
            currency = price.get("currency", "")
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise StripeApiError(
                    400, f"Invalid currency: {currency}.", param=f"line_items[{index}][price_data][currency]"
                )
            unit_amount = int(price.get("unit_amount", "0"))
            if unit_amount <= 0 or not (price.get("product_data") or {}).get("name"):
                raise StripeApiError(400, "Invalid price_data.", param=f"line_items[{index}][price_data]")
            total += unit_amount * int(item.get("quantity", "1"))
        now = int(time.time())
        expires_at = int(params.get("expires_at", now + 86400))
        if not now + 1800 - 5 <= expires_at <= now + 86400:
            raise StripeApiError(
                400,
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                param="expires_at",
            )
        session_id, intent_id = _id("cs_test"), _id("pi")
        with self._lock:
            self.payment_intents[intent_id] = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": total,
                "amount_received": 0,
                "currency": currency,
                "status": "requires_payment_method",
                "metadata": (params.get("payment_intent_data") or {}).get("metadata", {}),
                "latest_charge": None,
                "created": now,
            }
            self.sessions[session_id] = {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "payment_intent": intent_id,
                "payment_status": "unpaid",
                "status": "open",
                "amount_total": total,
                "currency": currency,
                "expires_at": expires_at,
                "client_reference_id": params.get("client_reference_id"),
                "customer_email": params.get("customer_email"),
                "metadata": params.get("metadata", {}),
                "success_url": params["success_url"],
                "cancel_url": params.get("cancel_url"),
                "created": now,
                "livemode": False,
            }
            return dict(self.sessions[session_id])

    async def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            intent = self.payment_intents.get(params.get("payment_intent", ""))
            if intent is None:
                raise StripeApiError(400, "Missing required param: payment_intent.", param="payment_intent")
            if intent["status"] != "succeeded":
                message = f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund."
                raise StripeApiError(400, message, code="charge_not_refundable")
            held = sum(
                r["amount"]
                for r in self.refunds.values()
                if r["payment_intent"] == intent["id"] and r["status"] in ("pending", "succeeded")
            )
            remaining = intent["amount_received"] - held
            amount = int(params.get("amount", remaining))
            if amount <= 0 or amount > remaining:
                message = f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"
                raise StripeApiError(400, message, code="amount_too_large", param="amount")
            if "reason" in params and params["reason"] not in _REASONS:
                raise StripeApiError(
                    400,
                    "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                    param="reason",
                )
            refund_id = _id("re")
            self.refunds[refund_id] = {
                "id": refund_id,
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "status": "pending",
                "payment_intent": intent["id"],
                "charge": intent["latest_charge"],
                "metadata": params.get("metadata", {}),
                "reason": params.get("reason"),
                "failure_reason": None,
                "created": int(time.time()),
            }
            answer = dict(self.refunds[refund_id])
        if self.settle_refunds_before_answering:
            for event in self.settle_refund(refund_id, self.settle_refunds_before_answering):
                await self.deliver_async(event)
        return answer

    # ---- the customer's and Stripe's side ----------------------------------------------------------------
    def session_for(self, payment_id: str) -> dict[str, Any]:
        return next(s for s in self.sessions.values() if s["client_reference_id"] == payment_id)

    def pay(self, session_id: str) -> list[StripeEvent]:
        """The customer pays by card: checkout.session.completed (paid) and payment_intent.succeeded."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="complete", payment_status="paid")
            intent = self._succeed_intent(session["payment_intent"])
            return [self.event("checkout.session.completed", session), self.event("payment_intent.succeeded", intent)]

    def complete_unpaid(self, session_id: str) -> list[StripeEvent]:
        """A delayed method (bank debit): the session completes unpaid; the money follows later."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="complete", payment_status="unpaid")
            self.payment_intents[session["payment_intent"]]["status"] = "processing"
            return [self.event("checkout.session.completed", session)]

    def async_payment(self, session_id: str, *, succeeded: bool = True) -> list[StripeEvent]:
        with self._lock:
            session = self.sessions[session_id]
            if not succeeded:
                self.payment_intents[session["payment_intent"]]["status"] = "requires_payment_method"
                return [self.event("checkout.session.async_payment_failed", session)]
            session["payment_status"] = "paid"
            intent = self._succeed_intent(session["payment_intent"])
            return [
                self.event("checkout.session.async_payment_succeeded", session),
                self.event("payment_intent.succeeded", intent),
            ]

    def failed_attempt(self, session_id: str, message: str = "Your card was declined.") -> StripeEvent:
        with self._lock:
            intent = self.payment_intents[self.sessions[session_id]["payment_intent"]]
            intent.update(
                status="requires_payment_method", last_payment_error={"message": message, "code": "card_declined"}
            )
            return self.event("payment_intent.payment_failed", intent)

    def expire(self, session_id: str) -> StripeEvent:
        """Stripe expires a session (also sent, late, for a session that was paid in another tab: it happens)."""
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] == "open":
                session["status"] = "expired"
            return self.event("checkout.session.expired", {**session, "status": "expired"})

    def settle_refund(self, refund_id: str, status: str = "succeeded") -> list[StripeEvent]:
        """The refund reaches its final state: refund.updated, then charge.refunded (or refund.failed)."""
        with self._lock:
            refund = self.refunds[refund_id]
            refund["status"] = status
            if status == "failed":
                refund["failure_reason"] = "charge_for_pending_refund_disputed"
                return [self.event("refund.updated", refund), self.event("refund.failed", refund)]
            charge = self.charges[refund["charge"]]
            # newest first, as Stripe lists them
            mine = [r for r in reversed(self.refunds.values()) if r["charge"] == charge["id"]]
            charge["amount_refunded"] = sum(r["amount"] for r in mine if r["status"] == "succeeded")
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            expanded = {**charge, "refunds": {"object": "list", "data": mine, "has_more": False, "url": "/v1/refunds"}}
            return [self.event("refund.updated", refund), self.event("charge.refunded", expanded)]

    def dispute(self, session_id: str, *, expand_intent: bool = False) -> StripeEvent:
        with self._lock:
            intent = self.payment_intents[self.sessions[session_id]["payment_intent"]]
            dispute = {
                "id": _id("dp"),
                "object": "dispute",
                "amount": intent["amount"],
                "currency": intent["currency"],
                "charge": intent["latest_charge"],
                "payment_intent": intent if expand_intent else intent["id"],
                "reason": "fraudulent",
                "status": "needs_response",
                "metadata": {},
            }
            return self.event("charge.dispute.created", dispute)

    def _succeed_intent(self, intent_id: str) -> dict[str, Any]:
        intent = self.payment_intents[intent_id]
        charge_id = _id("ch")
        self.charges[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_refunded": 0,
            "currency": intent["currency"],
            "payment_intent": intent_id,
            "metadata": intent["metadata"],  # Stripe copies the PaymentIntent's metadata to its charges
            "refunded": False,
            "status": "succeeded",
        }
        intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge_id)
        return intent

    # ---- events ------------------------------------------------------------------------------------------
    def event(
        self, event_type: str, obj: dict[str, Any], *, event_id: str | None = None, created: int | None = None
    ) -> StripeEvent:
        """A real event payload around a snapshot of `obj` (`created`: its Unix time, now by default)."""
        event_id = event_id or _id("evt")
        payload = {
            "id": event_id,
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()) if created is None else created,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": json.loads(json.dumps(obj))},
        }
        made = StripeEvent(event_id, event_type, json.dumps(payload).encode())
        with self._lock:
            self.events[event_id] = made
        return made

    def undelivered(self, *events: StripeEvent) -> list[StripeEvent]:
        """These events' webhooks never got through: `GET /v1/events?delivery_success=false` lists them."""
        with self._lock:
            self.failed_deliveries.update(e.id for e in events)
        return list(events)

    def signature(self, body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
        return stripe_signature(
            secret or self.webhook_secret, body, int(time.time()) if timestamp is None else timestamp
        )

    def deliver(self, event: StripeEvent, *, url: str | None = None, signature: str | None = None) -> httpx.Response:
        """Signs (now) and POSTs the event as Stripe does; returns our answer."""
        target = url or self.webhook_url
        assert target, "set webhook_url (or pass url=) before delivering events"
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature or self.signature(event.body),
        }
        response = httpx.post(target, content=event.body, headers=headers, timeout=10)
        self.deliveries.append(response)
        return response

    async def deliver_async(self, event: StripeEvent) -> httpx.Response:
        assert self.webhook_url, "set webhook_url before delivering events"
        headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": self.signature(event.body)}
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(self.webhook_url, content=event.body, headers=headers)
        self.deliveries.append(response)
        return response


async def _respond(send: _Send, status: int, payload: Any, extra_headers: dict[str, str] | None = None) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"request-id", _id("req").encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra_headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
