"""A fake PayPal REST API (raw ASGI, served by `running()`), speaking PayPal's wire format, plus (re-exported from
its sibling modules) a test PKI and helpers that build real webhook events and sign them PayPal's way.

What it implements, as PayPal documents it:
- `POST /v1/oauth2/token`: HTTP Basic client id/secret, form `grant_type=client_credentials` → bearer token with
  `expires_in`; every other API route wants a live bearer token (401 `invalid_token` otherwise).
- Every POST is idempotent on `PayPal-Request-Id`: a repeat answers what the first one's success answered.
- Orders v2 (`paypal_orders.py`): create with intent CAPTURE or AUTHORIZE, get, capture or authorize once
  approved (a second one under another request id is `422 ORDER_ALREADY_CAPTURED` / `…_AUTHORIZED`).
- Payments v2 (`paypal_payments.py`): get, capture (partial, `final_capture`) and void an authorization; get and
  refund a capture (over-refund is 422); get a refund.
- `POST /v1/notifications/verify-webhook-signature`: checks the signature over the RAW `webhook_event` text as
  it appears in the request (a re-serialised event changes the CRC32 and is answered FAILURE, like PayPal).
- `GET /v1/notifications/certs/<name>`: the signing certificate and its intermediate, as PEM.
- The webhook-events list and one event (`paypal_events.py`): every event `webhook()` made, delivered or not.
Switches: `delay(operation, seconds, once=…)`, `fail(operation, status, payload)`, `capture_status`,
`authorization_status`, `refund_status`, `expire_tokens()`, `forget_request_ids()`. Every request is recorded
(`calls(operation)`).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.provider_fakes.paypal_events import EventRoutes
from tests.provider_fakes.paypal_orders import Answer, OrderRoutes
from tests.provider_fakes.paypal_payments import PaymentRoutes
from tests.provider_fakes.paypal_pki import SIGNING_CN, Pki, default_pki, make_pki, new_key, pem, self_signed
from tests.provider_fakes.paypal_resources import Json, error, public
from tests.provider_fakes.paypal_webhooks import (
    CERT_URL,
    WEBHOOK_ID,
    paypal_time,
    raw_member,
    sign_webhook,
    signed_message,
    webhook_event,
)

__all__ = [
    "CERT_URL", "CLIENT_ID", "CLIENT_SECRET", "SIGNING_CN", "WEBHOOK_ID", "FakePayPal", "Pki", "Recorded",
    "Swappable", "default_pki", "make_pki", "new_key", "paypal_time", "pem", "redirecting_transport",
    "self_signed", "sign_webhook", "signed_message", "webhook_event",
]  # fmt: skip

CLIENT_ID = "AZ-fake-paypal-client"
CLIENT_SECRET = "EL-fake-paypal-secret"


@dataclass(frozen=True)
class Recorded:
    operation: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[re.Match[str], dict[str, str], bytes], Awaitable[Answer]]


@dataclass
class FakePayPal(OrderRoutes, PaymentRoutes, EventRoutes):
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    webhook_id: str = WEBHOOK_ID
    token_lifetime: int = 32400
    pki: Pki = field(default_factory=default_pki)
    capture_status: str = "COMPLETED"  # or DECLINED, PENDING
    authorization_status: str = "CREATED"  # or PENDING, DENIED
    refund_status: str = "COMPLETED"  # or PENDING, FAILED
    requests: list[Recorded] = field(default_factory=list)
    orders: dict[str, Json] = field(default_factory=dict)
    authorizations: dict[str, Json] = field(default_factory=dict)
    captures: dict[str, Json] = field(default_factory=dict)
    refunds: dict[str, Json] = field(default_factory=dict)
    events: list[bytes] = field(default_factory=list)  # every webhook event made (paypal_events.py)
    tokens: dict[str, float] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    delays_once: dict[str, float] = field(default_factory=dict)
    failures: dict[str, list[tuple[int, Json]]] = field(default_factory=dict)
    _replays: dict[tuple[str, str], Answer] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ---- switches and views ------------------------------------------------------------------------------
    def delay(self, operation: str, seconds: float, *, once: bool = False) -> None:
        """`operation`'s answers come `seconds` late (the work is done at once); with `once`, only the next one's."""
        (self.delays_once if once else self.delays)[operation] = seconds

    def fail(self, operation: str, status: int, payload: Json | None = None) -> None:
        """The next `operation` answers `status` (PayPal's error shape unless `payload` is given)."""
        body = (
            error("INTERNAL_SERVICE_ERROR", "An internal service error has occurred.") if payload is None else payload
        )
        self.failures.setdefault(operation, []).append((status, body))

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def forget_request_ids(self) -> None:
        """PayPal keeps request ids for a while (orders: 6 hours); after that a repeat is a new request."""
        self._replays.clear()

    def calls(self, operation: str) -> list[Recorded]:
        return [r for r in self.requests if r.operation == operation]

    def approve(self, order_id: str) -> Json:
        """The buyer approves the order on PayPal's page; returns the order as the webhook carries it."""
        order = self.orders[order_id]
        order["status"] = "APPROVED"
        order["payer"] = {"payer_id": "FAKEPAYER123", "email_address": "buyer@example.com"}
        return public(order)

    def order(self, order_id: str) -> Json:
        return public(self.orders[order_id])

    def refund(self, refund_id: str) -> Json:
        return public(self.refunds[refund_id])

    def settle_refund(self, refund_id: str, status: str = "COMPLETED") -> Json:
        refund = self.refunds[refund_id]
        refund["status"] = status
        self._update_capture(refund["_capture_id"])
        return public(refund)

    def capture_of(self, order_id: str) -> Json:
        return public(self.orders[order_id]["purchase_units"][0]["payments"]["captures"][0])

    def settle_capture(self, capture_id: str, status: str = "COMPLETED") -> Json:
        """A PENDING capture's final word (PayPal's review is over); returns it as its webhook carries it."""
        capture = self.captures[capture_id]
        capture["status"], capture["update_time"] = status, paypal_time()
        capture.pop("status_details", None)
        return public(capture)

    def authorization_of(self, order_id: str) -> Json:
        return public(self.orders[order_id]["purchase_units"][0]["payments"]["authorizations"][0])

    def lapse(self, authorization_id: str) -> Json:
        """PayPal lets an uncaptured authorization expire (29 days); returns it as PAYMENT.AUTHORIZATION.VOIDED
        carries it."""
        authorization = self.authorizations[authorization_id]
        authorization["status"], authorization["update_time"] = "EXPIRED", paypal_time()
        return public(authorization)

    def webhook(
        self, event_type: str, resource: Json, *, event_id: str | None = None, **signing: Any
    ) -> tuple[bytes, dict[str, str]]:
        body = webhook_event(event_type, resource, event_id=event_id)
        self.keep_event(body)  # PayPal lists it whether or not it is delivered
        return body, sign_webhook(body, self.pki.leaf_key, webhook_id=self.webhook_id, **signing)

    # ---- ASGI --------------------------------------------------------------------------------------------
    async def __call__(self, scope: Json, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")  # only the event list reads one
        path = f"{scope['path']}?{query}" if query else scope["path"]
        status, payload, content_type = await self._dispatch(scope["method"], path, headers, body)
        content = payload if isinstance(payload, bytes) else b"" if payload is None else json.dumps(payload).encode()
        response_headers = [(b"content-length", str(len(content)).encode())]
        if content:
            response_headers.append((b"content-type", content_type))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})

    async def _dispatch(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Json | bytes | None, bytes]:
        if path == "/__health":
            return 200, {"ok": True}, b"application/json"
        if method == "GET" and path.startswith("/v1/notifications/certs/"):
            self.requests.append(Recorded("cert", method, path, headers, body))
            if CERT_URL.endswith(path):
                return 200, self.pki.chain_pem(), b"text/plain"
            return 404, error("RESOURCE_NOT_FOUND", "no such certificate"), b"application/json"
        for route_method, pattern, operation, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                self.requests.append(Recorded(operation, method, path, headers, body))
                if self.failures.get(operation):
                    status, payload = self.failures[operation].pop(0)
                else:
                    status, payload = await self._answer(operation, handler, match, headers, body)
                late = self.delays_once.pop(operation, None) or self.delays.get(operation, 0)
                await asyncio.sleep(late)  # the work is done; only the answer is late
                return status, payload, b"application/json"
        return 404, error("NOT_FOUND", f"no route {method} {path}"), b"application/json"

    async def _answer(
        self, operation: str, handler: Handler, match: re.Match[str], headers: dict[str, str], body: bytes
    ) -> Answer:
        if operation != "token" and not self._authorized(headers):
            return 401, {"error": "invalid_token", "error_description": "Token signature verification failed"}
        request_id = headers.get("paypal-request-id")
        if request_id and (operation, request_id) in self._replays:
            return self._replays[(operation, request_id)]
        status, payload = await handler(match, headers, body)
        if request_id and status < 300:
            self._replays[(operation, request_id)] = (status, payload)
        return status, payload

    def _routes(self) -> list[tuple[str, str, str, Handler]]:
        return [
            ("POST", r"/v1/oauth2/token", "token", self._token),
            *self._routes_of_orders(),
            *self._routes_of_payments(),
            *self._routes_of_events(),
            ("POST", r"/v1/notifications/verify-webhook-signature", "verify", self._verify),
        ]

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme == "Bearer" and self.tokens.get(token, 0) > time.monotonic()

    # ---- routes ------------------------------------------------------------------------------------------
    async def _token(self, _: re.Match[str], headers: dict[str, str], body: bytes) -> tuple[int, Json]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
        if parse_qs(body.decode()).get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}
        token = f"A21AAFAKE{next(self._ids):06d}{uuid.uuid4().hex}"
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return 200, {
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": self.token_lifetime,
            "nonce": uuid.uuid4().hex,
        }

    async def _verify(self, _: re.Match[str], headers: dict[str, str], body: bytes) -> tuple[int, Json]:
        """PayPal's check: over the `webhook_event` text exactly as it sits in this request."""
        text = body.decode()
        request, raw_event = json.loads(text), raw_member(text, "webhook_event")
        message = signed_message(
            request["transmission_id"], request["transmission_time"], request["webhook_id"], raw_event.encode()
        )
        try:
            signature = base64.b64decode(request["transmission_sig"])
            self.pki.leaf_key.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            genuine = request["webhook_id"] == self.webhook_id and request["cert_url"] == CERT_URL
        except Exception:
            genuine = False
        return 200, {"verification_status": "SUCCESS" if genuine else "FAILURE"}

    def _new_id(self) -> str:
        return f"{next(self._ids):05d}{uuid.uuid4().hex[:12]}".upper()


@dataclass
class Swappable:
    """One running server for many tests: each test swaps in a fresh fake (starting a server is the slow part)."""

    app: FakePayPal

    async def __call__(self, scope: Json, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def redirecting_transport(base_url: str) -> httpx.AsyncBaseTransport:
    """Sends every request (e.g. for `https://api.sandbox.paypal.com/v1/notifications/certs/…`) to the fake
    instead: the production certificate source runs unchanged, against a local server."""
    target = httpx.URL(base_url)

    class Redirecting(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
            return await self.inner.handle_async_request(request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    return Redirecting()
