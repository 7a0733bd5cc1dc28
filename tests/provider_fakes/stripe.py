"""A fake Stripe API that speaks Stripe's wire format, for the adapter's integration and e2e tests.

Run it with `running(fake)` (tests/provider_fakes/server.py); point the adapter at the URL it yields.

What it does like Stripe (https://docs.stripe.com/api):
- form-encoded POST bodies with bracket keys (`line_items[0][price_data][currency]=usd`), as the SDK sends them
  (stripe_wire.py), and `expand[]` on GETs;
- `Authorization: Bearer sk_…` checked: a wrong key is a 401 with Stripe's error JSON and a masked key;
- `Idempotency-Key` honoured per API key: the same key replays the stored answer (`Idempotent-Replayed: true`),
  the same key with other parameters is a 400 `idempotency_error`; 5xx answers are not stored;
- Checkout Sessions (manual capture too), refunds, captures (partial: `amount_received` = `amount_to_capture`),
  PaymentIntent cancels, session expiries, and the GET endpoints the adapter uses (stripe_resources.py); errors as
  `{"error": {"type", "message", "code", "param"}}`.

What tests drive: `slow_next` (the work is done, the answer is late: a lost answer; `capture_times_out` for the
next capture), `fail_next` (an error before any work), `requests` (everything received), and the customer's and
Stripe's side of the story (stripe_story.py): `pay`, `authorize`, `lapse`, `complete_unpaid`, `async_payment`,
`expire`, `settle_refund`, `dispute`; each returns real event payloads (`StripeEvent`), which `deliver` signs with
Stripe's scheme (`t=…,v1=…`) and POSTs to our webhook URL. Events made by API calls (a capture's
`payment_intent.succeeded`) are kept too, undelivered: `last_event(type)` finds them.

Every event made is kept (`events`); `undelivered(*events)` marks events whose delivery failed, which
`GET /v1/events?delivery_success=false&created[gte]=…` lists back (newest first, `limit` / `starting_after` /
`has_more` pages, Stripe's list envelope), as Stripe does for 30 days; `GET /v1/events/{id}` reads one.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.provider_fakes.stripe_story import StripeStory
from tests.provider_fakes.stripe_wire import (
    Recorded,
    Rule,
    Send,
    StripeApiError,
    StripeEvent,
    expanded,
    parse_form,
    respond,
    stripe_signature,
)

__all__ = ["FakeStripe", "Recorded", "StripeEvent", "parse_form", "stripe_signature"]
_Receive = Callable[[], Awaitable[dict[str, Any]]]
_ACTION = re.compile(r"/v1/(payment_intents|checkout/sessions)/([^/]+)/(capture|cancel|expire)")
_GETS = (
    ("/v1/checkout/sessions/", "sessions", "checkout.session"),
    ("/v1/payment_intents/", "payment_intents", "payment_intent"),
    ("/v1/refunds/", "refunds", "refund"),
    ("/v1/charges/", "charges", "charge"),
)


@dataclass
class FakeStripe(StripeStory):
    secret_key: str = "sk_test_fake_" + "0" * 24
    webhook_secret: str = "whsec_fake_" + "0" * 24
    api_base: str = ""  # set by whoever runs it: the URL `running()` yielded
    webhook_url: str | None = None  # where `deliver` sends events: our /api/v1/webhooks/stripe
    # When set ("succeeded" or "failed"), a new refund is settled and its refund.updated delivered to
    # webhook_url BEFORE the refund call is answered (with the refund as it was created: pending).
    settle_refunds_before_answering: str | None = None
    requests: list[Recorded] = field(default_factory=list)
    deliveries: list[httpx.Response] = field(default_factory=list)
    failed_deliveries: set[str] = field(default_factory=set)  # event ids whose delivery never succeeded
    _idempotent: dict[tuple[str, str], tuple[Any, int, bytes]] = field(default_factory=dict)
    _rules: list[Rule] = field(default_factory=list)

    # ---- switches --------------------------------------------------------------------------------------
    def slow_next(
        self,
        seconds: float,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int = 1,
        suffix: str | None = None,
    ) -> None:
        """The next matching calls do their work, then answer only after `seconds` (an answer lost in transit)."""
        with self._lock:
            self._rules.append(Rule(times, path, method, seconds=seconds, suffix=suffix))

    def capture_times_out(self, seconds: float = 2.0) -> None:
        """The next capture is made, and answered only after `seconds` (longer than the service waits)."""
        self.slow_next(seconds, path="/v1/payment_intents/", method="POST", suffix="/capture")

    def fail_next(
        self,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        path: str | None = None,
        method: str | None = None,
        times: int = 1,
        suffix: str | None = None,
    ) -> None:
        """The next matching calls fail with `status` before doing anything (not stored for idempotency)."""
        text = message or ("An unknown error occurred" if status >= 500 else "Invalid request")
        with self._lock:
            self._rules.append(Rule(times, path, method, status=status, message=text, code=code, suffix=suffix))

    def received(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # ---- ASGI ------------------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: _Receive, send: Send) -> None:
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
            await respond(send, 200, {"ok": True})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        raw = body.decode() if method == "POST" else scope["query_string"].decode()
        request = Recorded(method, path, parse_form(raw), headers)
        self.requests.append(request)
        status, payload, extra_headers, delay = await self._handle(request)
        if delay:
            await asyncio.sleep(delay)
        await respond(send, status, payload, extra_headers)

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
                        error = StripeApiError(rule.status, rule.message, kind=kind, code=rule.code)
                        return rule.status, error.body, {}, 0
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
        if method == "GET" and path.startswith("/v1/events/"):  # one event, as Stripe keeps it (30 days)
            with self._lock:
                kept = self.events.get(path.removeprefix("/v1/events/"))
            if kept is None:
                raise StripeApiError(
                    404, f"No such event: '{path.removeprefix('/v1/events/')}'", code="resource_missing"
                )
            return json.loads(kept.body)
        if method == "POST" and path == "/v1/checkout/sessions":
            return self.create_session(params)
        if method == "POST" and path == "/v1/refunds":
            return await self._create_refund(params)
        if method == "GET" and path == "/v1/refunds":
            intent = params.get("payment_intent")
            found = [r for r in self.refunds.values() if intent is None or r["payment_intent"] == intent]
            found.sort(key=lambda r: r["created"], reverse=True)
            limit = int(params.get("limit", 10))
            return {"object": "list", "data": found[:limit], "has_more": len(found) > limit, "url": "/v1/refunds"}
        action = _ACTION.fullmatch(path) if method == "POST" else None
        if action is not None:
            resource, object_id, verb = action.groups()
            return self._act(resource, object_id, verb, params)
        for prefix, store, noun in _GETS:
            if method == "GET" and path.startswith(prefix):
                object_id = path.removeprefix(prefix)
                found_object = self._found(self.stores()[store], object_id, noun)
                return expanded(found_object, params.get("expand"), self.stores())
        raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def _act(self, resource: str, object_id: str, verb: str, params: dict[str, Any]) -> dict[str, Any]:
        match resource, verb:
            case "payment_intents", "capture":
                return self.capture_intent(object_id, params)
            case "payment_intents", "cancel":
                return self.cancel_intent(object_id, params)
            case "checkout/sessions", "expire":
                return self.expire_session(object_id)
        raise StripeApiError(404, f"Unrecognized request URL (POST: /v1/{resource}/{object_id}/{verb}).")

    async def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        answer = self.create_refund(params)
        if self.settle_refunds_before_answering:
            for event in self.settle_refund(answer["id"], self.settle_refunds_before_answering):
                await self.deliver_async(event)
        return answer

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

    # ---- webhooks ----------------------------------------------------------------------------------------
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
