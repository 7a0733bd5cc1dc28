"""A fake PayPal REST API (raw ASGI, served by `running()`), speaking PayPal's wire format, plus a test PKI and
helpers that build real webhook events and sign them PayPal's way.

What it implements, as PayPal documents it:
- `POST /v1/oauth2/token`: HTTP Basic client id/secret, form `grant_type=client_credentials` → bearer token with
  `expires_in`; every other API route wants a live bearer token (401 `invalid_token` otherwise).
- Orders v2: create (idempotent on `PayPal-Request-Id`), get, capture (idempotent on its request id; a second
  capture under another id is `422 ORDER_ALREADY_CAPTURED`; not approved is `422 ORDER_NOT_APPROVED`).
- Payments v2: get capture, refund a capture (idempotent on request id; over-refund is 422), get refund.
- `POST /v1/notifications/verify-webhook-signature`: checks the signature over the RAW `webhook_event` text as
  it appears in the request (a re-serialised event changes the CRC32 and is answered FAILURE, like PayPal).
- `GET /v1/notifications/certs/<name>`: the signing certificate and its intermediate, as PEM.
Switches: `delay(operation, seconds)`, `fail(operation, status, payload)`, `capture_status`, `refund_status`,
`expire_tokens()`, `forget_request_ids()`. Every request is recorded (`calls(operation)`).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import functools
import itertools
import json
import re
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLIENT_ID = "AZ-fake-paypal-client"
CLIENT_SECRET = "EL-fake-paypal-secret"
WEBHOOK_ID = "8PT597110X687430LKGECATA"
SIGNING_CN = "messageverificationcerts.sandbox.paypal.com"
CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-fake0001"
ZERO_DECIMAL = frozenset({"HUF", "JPY", "TWD"})  # PayPal refuses decimals for these

Json = dict[str, Any]


# ---- test PKI --------------------------------------------------------------------------------------------
def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Pki:
    """A root CA, an intermediate, and PayPal-style signing certificates issued by the intermediate."""

    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    leaf: x509.Certificate

    def chain_pem(self, leaf: x509.Certificate | None = None) -> bytes:
        return pem(leaf or self.leaf) + pem(self.intermediate)

    def issue(
        self,
        cn: str = SIGNING_CN,
        *,
        key: rsa.RSAPrivateKey | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> x509.Certificate:
        """A signing certificate from this PKI's intermediate (for expired / wrong-CN cases)."""
        return _certificate(
            cn, (key or self.leaf_key).public_key(), self.intermediate, self.intermediate_key, not_before, not_after
        )


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_pki(root_cn: str = "Fake PayPal Test Root CA") -> Pki:
    root_key, intermediate_key, leaf_key = new_key(), new_key(), new_key()
    root = _certificate(root_cn, root_key.public_key(), None, root_key, None, None, ca=True)
    intermediate = _certificate(
        f"{root_cn} - Intermediate", intermediate_key.public_key(), root, root_key, None, None, ca=True
    )
    leaf = _certificate(SIGNING_CN, leaf_key.public_key(), intermediate, intermediate_key, None, None)
    return Pki(root_key, root, intermediate_key, intermediate, leaf_key, leaf)


@functools.cache
def default_pki() -> Pki:
    """RSA key generation is slow: one PKI per test session."""
    return make_pki()


def self_signed(cn: str = SIGNING_CN, key: rsa.RSAPrivateKey | None = None) -> x509.Certificate:
    """What a forger can make: the right name, no chain."""
    key = key or new_key()
    return _certificate(cn, key.public_key(), None, key, None, None)


def _certificate(
    cn: str,
    public_key: rsa.RSAPublicKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    not_before: datetime | None,
    not_after: datetime | None,
    *,
    ca: bool = False,
) -> x509.Certificate:
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fake PayPal"), _cn(cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(_key_usage(ca), critical=True)
    )
    if issuer is not None:
        identifier = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(identifier), critical=False
        )
    if not ca:
        usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _cn(cn: str) -> x509.NameAttribute[str]:
    return x509.NameAttribute(NameOID.COMMON_NAME, cn)


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


# ---- webhooks as PayPal sends them -----------------------------------------------------------------------
def paypal_time(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def webhook_event(
    event_type: str, resource: Json, *, event_id: str | None = None, resource_type: str | None = None
) -> bytes:
    """The body PayPal POSTs: compact JSON, as it comes off the wire."""
    event = {
        "id": event_id or f"WH-{uuid.uuid4().hex[:17].upper()}-{uuid.uuid4().hex[:17].upper()}",
        "event_version": "1.0",
        "create_time": paypal_time(),
        "resource_type": resource_type or _RESOURCE_TYPES.get(event_type, "unknown"),
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": f"{event_type} (fake)",
        "resource": resource,
        "links": [],
    }
    return json.dumps(event, separators=(",", ":")).encode()


_RESOURCE_TYPES = {
    "CHECKOUT.ORDER.APPROVED": "checkout-order",
    "PAYMENT.CAPTURE.COMPLETED": "capture",
    "PAYMENT.CAPTURE.DENIED": "capture",
    "PAYMENT.CAPTURE.REFUNDED": "refund",
    "CUSTOMER.DISPUTE.CREATED": "dispute",
}


def signed_message(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()


def sign_webhook(
    body: bytes,
    key: rsa.RSAPrivateKey,
    *,
    webhook_id: str = WEBHOOK_ID,
    cert_url: str = CERT_URL,
    transmission_id: str | None = None,
    sent_at: datetime | None = None,
) -> dict[str, str]:
    """The headers PayPal sends with `body`: SHA256withRSA over `id|time|webhook id|crc32(body)`."""
    transmission_id = transmission_id or str(uuid.uuid4())
    transmission_time = paypal_time(sent_at)
    message = signed_message(transmission_id, transmission_time, webhook_id, body)
    signature = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return {
        "Content-Type": "application/json",
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": transmission_time,
        "PAYPAL-TRANSMISSION-SIG": signature,
        "PAYPAL-CERT-URL": cert_url,
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        "PAYPAL-AUTH-VERSION": "v2",
    }


# ---- the fake API ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recorded:
    operation: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[re.Match[str], dict[str, str], bytes], Awaitable[tuple[int, Json]]]


@dataclass
class FakePayPal:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    webhook_id: str = WEBHOOK_ID
    token_lifetime: int = 32400
    pki: Pki = field(default_factory=default_pki)
    capture_status: str = "COMPLETED"  # or DECLINED, PENDING
    refund_status: str = "COMPLETED"  # or PENDING, FAILED
    requests: list[Recorded] = field(default_factory=list)
    orders: dict[str, Json] = field(default_factory=dict)
    captures: dict[str, Json] = field(default_factory=dict)
    refunds: dict[str, Json] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    failures: dict[str, list[tuple[int, Json]]] = field(default_factory=dict)
    _replays: dict[tuple[str, str], tuple[int, Json]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ---- switches and views ------------------------------------------------------------------------------
    def delay(self, operation: str, seconds: float) -> None:
        self.delays[operation] = seconds

    def fail(self, operation: str, status: int, payload: Json | None = None) -> None:
        """The next `operation` answers `status` (PayPal's error shape unless `payload` is given)."""
        body = (
            _error("INTERNAL_SERVICE_ERROR", "An internal service error has occurred.") if payload is None else payload
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
        return _public(order)

    def order(self, order_id: str) -> Json:
        return _public(self.orders[order_id])

    def refund(self, refund_id: str) -> Json:
        return _public(self.refunds[refund_id])

    def settle_refund(self, refund_id: str, status: str = "COMPLETED") -> Json:
        refund = self.refunds[refund_id]
        refund["status"] = status
        self._update_capture(refund["_capture_id"])
        return _public(refund)

    def capture_of(self, order_id: str) -> Json:
        return _public(self.orders[order_id]["purchase_units"][0]["payments"]["captures"][0])

    def webhook(
        self, event_type: str, resource: Json, *, event_id: str | None = None, **signing: Any
    ) -> tuple[bytes, dict[str, str]]:
        body = webhook_event(event_type, resource, event_id=event_id)
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
        status, payload, content_type = await self._dispatch(scope["method"], scope["path"], headers, body)
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        length = str(len(content)).encode()
        response_headers = [(b"content-type", content_type), (b"content-length", length)]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})

    async def _dispatch(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Json | bytes, bytes]:
        if path == "/__health":
            return 200, {"ok": True}, b"application/json"
        if method == "GET" and path.startswith("/v1/notifications/certs/"):
            self.requests.append(Recorded("cert", method, path, headers, body))
            if CERT_URL.endswith(path):
                return 200, self.pki.chain_pem(), b"text/plain"
            return 404, _error("RESOURCE_NOT_FOUND", "no such certificate"), b"application/json"
        for route_method, pattern, operation, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                self.requests.append(Recorded(operation, method, path, headers, body))
                if self.failures.get(operation):
                    status, payload = self.failures[operation].pop(0)
                else:
                    status, payload = await self._answer(operation, handler, match, headers, body)
                await asyncio.sleep(self.delays.get(operation, 0))  # the work is done; only the answer is late
                return status, payload, b"application/json"
        return 404, _error("NOT_FOUND", f"no route {method} {path}"), b"application/json"

    async def _answer(
        self, operation: str, handler: Handler, match: re.Match[str], headers: dict[str, str], body: bytes
    ) -> tuple[int, Json]:
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
            ("POST", r"/v2/checkout/orders", "create_order", self._create_order),
            ("GET", r"/v2/checkout/orders/(\w+)", "get_order", self._get_order),
            ("POST", r"/v2/checkout/orders/(\w+)/capture", "capture", self._capture),
            ("GET", r"/v2/payments/captures/(\w+)", "get_capture", self._get_capture),
            ("POST", r"/v2/payments/captures/(\w+)/refund", "refund", self._refund),
            ("GET", r"/v2/payments/refunds/(\w+)", "get_refund", self._get_refund),
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

    async def _create_order(self, _: re.Match[str], headers: dict[str, str], body: bytes) -> tuple[int, Json]:
        request = json.loads(body)
        units = request.get("purchase_units") or [{}]
        amount = units[0].get("amount") or {}
        problem = _amount_problem(amount) or _order_problem(request, units[0])
        if problem:
            return 422, problem
        order_id = self._new_id()
        self.orders[order_id] = {
            "id": order_id,
            "intent": "CAPTURE",
            "status": "PAYER_ACTION_REQUIRED",
            "payment_source": {"paypal": {}},
            "purchase_units": [{**units[0], "payee": {"merchant_id": "FAKEMERCHANT1"}}],
            "create_time": paypal_time(),
            "links": [
                {"href": f"https://api.sandbox.paypal.com/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
                {"href": f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}", "rel": "payer-action", "method": "GET"},
            ],
        }  # fmt: skip
        return 200, _public(self.orders[order_id])

    async def _get_order(self, match: re.Match[str], *_: Any) -> tuple[int, Json]:
        order = self.orders.get(match[1])
        return (200, _public(order)) if order else (404, _not_found(match[1]))

    async def _capture(self, match: re.Match[str], *_: Any) -> tuple[int, Json]:
        order = self.orders.get(match[1])
        if order is None:
            return 404, _not_found(match[1])
        if order["status"] == "COMPLETED":
            return 422, _unprocessable("ORDER_ALREADY_CAPTURED", "Order already captured.")
        if order["status"] != "APPROVED":
            return 422, _unprocessable("ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment.")
        unit, capture_id = order["purchase_units"][0], self._new_id()
        capture = {
            "id": capture_id,
            "status": self.capture_status,
            "amount": unit["amount"],
            "final_capture": True,
            "custom_id": unit.get("custom_id"),
            "invoice_id": unit.get("invoice_id"),
            "supplementary_data": {"related_ids": {"order_id": order["id"]}},
            "create_time": paypal_time(),
            "links": [
                {"href": f"https://api.sandbox.paypal.com/v2/payments/captures/{capture_id}", "rel": "self", "method": "GET"},
                {"href": f"https://api.sandbox.paypal.com/v2/checkout/orders/{order['id']}", "rel": "up", "method": "GET"},
            ],
        }  # fmt: skip
        if self.capture_status == "PENDING":
            capture["status_details"] = {"reason": "PENDING_REVIEW"}
        unit["payments"] = {"captures": [capture], "refunds": []}
        self.captures[capture_id] = capture
        order["status"] = "COMPLETED"
        return 201, _public(order)

    async def _get_capture(self, match: re.Match[str], *_: Any) -> tuple[int, Json]:
        capture = self.captures.get(match[1])
        return (200, _public(capture)) if capture else (404, _not_found(match[1]))

    async def _refund(self, match: re.Match[str], _: dict[str, str], body: bytes) -> tuple[int, Json]:
        capture = self.captures.get(match[1])
        if capture is None:
            return 404, _not_found(match[1])
        request = json.loads(body or b"{}")
        remaining = Decimal(capture["amount"]["value"]) - self._refunded(capture["id"])
        amount = request.get("amount") or {**capture["amount"], "value": str(remaining)}
        if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            return 422, _unprocessable("CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded")
        if _amount_problem(amount) or amount["currency_code"] != capture["amount"]["currency_code"]:
            return 422, _amount_problem(amount) or _unprocessable("CURRENCY_MISMATCH", "Refund currency differs")
        if Decimal(amount["value"]) > remaining:
            return 422, _unprocessable("REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded.")  # fmt: skip
        refund_id = self._new_id()
        refund = {
            "id": refund_id,
            "status": self.refund_status,
            "amount": amount,
            "custom_id": request.get("custom_id"),
            "invoice_id": request.get("invoice_id"),
            "note_to_payer": request.get("note_to_payer"),
            "create_time": paypal_time(),
            "links": [
                {"href": f"https://api.sandbox.paypal.com/v2/payments/refunds/{refund_id}", "rel": "self", "method": "GET"},
                {"href": f"https://api.sandbox.paypal.com/v2/payments/captures/{capture['id']}", "rel": "up", "method": "GET"},
            ],
            "_capture_id": capture["id"],
        }  # fmt: skip
        self.refunds[refund_id] = refund
        order = self.orders[capture["supplementary_data"]["related_ids"]["order_id"]]
        order["purchase_units"][0]["payments"]["refunds"].append(refund)
        self._update_capture(capture["id"])
        return 201, _public(refund)

    async def _get_refund(self, match: re.Match[str], *_: Any) -> tuple[int, Json]:
        refund = self.refunds.get(match[1])
        return (200, _public(refund)) if refund else (404, _not_found(match[1]))

    async def _verify(self, _: re.Match[str], headers: dict[str, str], body: bytes) -> tuple[int, Json]:
        """PayPal's check: over the `webhook_event` text exactly as it sits in this request."""
        text = body.decode()
        request, raw_event = json.loads(text), _raw_member(text, "webhook_event")
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

    # ---- internals ---------------------------------------------------------------------------------------
    def _new_id(self) -> str:
        return f"{next(self._ids):05d}{uuid.uuid4().hex[:12]}".upper()

    def _refunded(self, capture_id: str) -> Decimal:
        held = (r for r in self.refunds.values() if r["_capture_id"] == capture_id and r["status"] != "FAILED")
        return sum((Decimal(r["amount"]["value"]) for r in held), Decimal(0))

    def _update_capture(self, capture_id: str) -> None:
        capture = self.captures[capture_id]
        done = sum(
            (Decimal(r["amount"]["value"]) for r in self.refunds.values() if r["_capture_id"] == capture_id and r["status"] == "COMPLETED"),
            Decimal(0),
        )  # fmt: skip
        if done:
            full = done >= Decimal(capture["amount"]["value"])
            capture["status"] = "REFUNDED" if full else "PARTIALLY_REFUNDED"


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


def _raw_member(text: str, name: str) -> str:
    """The raw JSON text of a top-level member, as it appears in `text` (not re-serialised)."""
    decoder, index = json.JSONDecoder(), text.index("{") + 1
    while True:
        key, index = decoder.raw_decode(text, _skip(text, index))
        index = _skip(text, index) + 1  # the colon
        start = _skip(text, index)
        _, end = decoder.raw_decode(text, start)
        if key == name:
            return text[start:end]
        index = _skip(text, end) + 1  # the comma


def _skip(text: str, index: int) -> int:
    while text[index] in " \t\r\n":
        index += 1
    return index


def _amount_problem(amount: Json) -> Json | None:
    value, currency = str(amount.get("value", "")), amount.get("currency_code", "")
    pattern = r"\d+" if currency in ZERO_DECIMAL else r"\d+\.\d{2}"
    if re.fullmatch(pattern, value) and Decimal(value) > 0:
        return None
    issue = "DECIMALS_NOT_SUPPORTED" if currency in ZERO_DECIMAL else "DECIMAL_PRECISION"
    return _unprocessable(issue, f"The amount {value!r} {currency} is not valid for the currency.")


def _order_problem(request: Json, unit: Json) -> Json | None:
    if request.get("intent") != "CAPTURE":
        return _unprocessable("INVALID_PARAMETER_VALUE", "intent must be CAPTURE here")
    if not re.fullmatch(r"[A-Za-z0-9\-_.,]{1,127}", str(unit.get("custom_id", ""))):
        return _unprocessable("INVALID_PARAMETER_SYNTAX", "custom_id does not match the required pattern")
    return None


def _public(resource: Json | None) -> Json:
    """What PayPal shows: without the fake's bookkeeping keys."""
    shown = copy.deepcopy(resource or {})
    for unit in shown.get("purchase_units", []):
        for refund in unit.get("payments", {}).get("refunds", []):
            refund.pop("_capture_id", None)
    return {k: v for k, v in shown.items() if not k.startswith("_")}


def _error(name: str, message: str, issue: str | None = None, description: str | None = None) -> Json:
    details = [{"issue": issue, "description": description or message}] if issue else []
    return {"name": name, "message": message, "debug_id": uuid.uuid4().hex[:13], "details": details}


def _unprocessable(issue: str, description: str) -> Json:
    message = "The requested action could not be performed, semantically incorrect, or failed business validation."
    return _error("UNPROCESSABLE_ENTITY", message, issue, description)


def _not_found(resource_id: str) -> Json:
    return _error("RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID", resource_id)
