"""Each scenario's requests as raw HTTP/1.1 bytes, built (and signed) before the clock starts.

A request is `(label, bytes, expected status)`; the load generator replays them. Webhook bodies look like what
Stripe sends for `checkout.session.completed` (an Event wrapping a Checkout Session, ~1.6 KB), for the seeded
payments, signed `t=…,v1=HMAC-SHA256(secret, "t.body")` as Stripe does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable
from urllib.parse import urlencode

from seed import WebhookPayment

Request = tuple[str, bytes, int]


def http(method: str, port: int, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def stripe_event(payment: WebhookPayment, event_id: str, created: int) -> bytes:
    session = {
        "id": payment.session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": payment.amount,
        "amount_total": payment.amount,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": f"https://shop.example/orders/{payment.order_id}",
        "client_reference_id": payment.id,
        "created": created - 90,
        "currency": payment.currency.lower(),
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": {
            "address": {"city": None, "country": "US", "line1": None, "postal_code": "94107", "state": None},
            "email": "buyer@example.com",
            "name": "A. Buyer",
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "expires_at": created + 3500,
        "livemode": False,
        "locale": None,
        "metadata": {"payment_id": payment.id, "order_id": payment.order_id},
        "mode": "payment",
        "payment_intent": payment.payment_intent,
        "payment_method_collection": "if_required",
        "payment_method_types": ["card"],
        "payment_status": "paid",
        "status": "complete",
        "submit_type": None,
        "success_url": f"https://shop.example/orders/{payment.order_id}/paid",
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": None,
    }
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": {"object": session},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "checkout.session.completed",
    }
    return json.dumps(event, separators=(",", ":")).encode()


def webhooks(port: int, payments: Iterable[WebhookPayment], secret: str, prefix: str) -> list[Request]:
    """Distinct events, one per payment, signed now (Stripe's tolerance is 300 s: build them just before use)."""
    now = int(time.time())
    built = []
    for n, payment in enumerate(payments):
        body = stripe_event(payment, f"evt_{prefix}_{n:08d}", now)
        v1 = hmac.new(secret.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        headers = {
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Accept": "*/*; q=0.5, application/xml",
            "Cache-Control": "no-cache",
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": f"t={now},v1={v1}",
        }
        built.append(("webhook", http("POST", port, "/api/v1/webhooks/stripe", headers, body), 200))
    return built


def checkouts(port: int, count: int, api_key: str, run_id: str) -> list[Request]:
    built = []
    for n in range(count):
        order_id = f"bench-co-{run_id}-{n:07d}"
        body = json.dumps(
            {
                "amount": 1000 + n % 50_000,
                "currency": "USD",
                "provider": "simulator",
                "customer": {"email": f"buyer{n}@example.com", "name": "A. Buyer"},
                "return_url": f"https://shop.example/orders/{order_id}/paid",
                "description": f"Order {order_id}",
                "metadata": {"cart": f"c{n}"},
            },
            separators=(",", ":"),
        ).encode()
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        built.append(("checkout", http("POST", port, f"/api/v1/orders/{order_id}/checkout", headers, body), 201))
    return built


def status_reads(port: int, order_ids: Iterable[str], api_key: str, label: str) -> list[Request]:
    """One read per order, in the given order (the load generator keeps it: cycling repeats the sequence)."""
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    return [
        (label, http("GET", port, f"/api/v1/orders/{order_id}/payment-status", headers), 200) for order_id in order_ids
    ]


def listing(port: int, pages: dict[str, list[dict[str, str]]], api_key: str) -> list[Request]:
    """One request per (filter, page), labelled by the filter; `pages` holds each page's query parameters."""
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    built = []
    for label, queries in pages.items():
        for query in queries:
            path = f"/api/v1/transactions?{urlencode(query)}"
            built.append((label, http("GET", port, path, headers), 200))
    return built


def hello(port: int) -> list[Request]:
    return [("hello", http("GET", port, "/hello", {"Accept": "application/json"}), 200)]
