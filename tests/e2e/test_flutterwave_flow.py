"""Flutterwave end to end over real HTTP, on SQLite and on Postgres: the service talks to the fake Flutterwave v3
API, and the test plays Flutterwave's side (the customer pays, webhooks arrive, late, twice or out of order)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal

import httpx
import pytest

from infrastructure.providers.flutterwave.config import FlutterwaveConfig
from tests.e2e.conftest import LiveServer, serve
from tests.e2e.webhook_refusals import (
    LONG_EVENT_ID,
    NOT_AN_EVENT,
    assert_malformed,
    assert_refused,
    stored_webhooks,
)
from tests.provider_fakes.flutterwave import SECRET_HASH, SECRET_KEY, FakeFlutterwave, Webhook
from tests.provider_fakes.server import running

VERIFY = "/verify"


@pytest.fixture(scope="module")
def fake_flutterwave() -> Iterator[tuple[FakeFlutterwave, str]]:
    fake = FakeFlutterwave()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
def fw(fake_flutterwave: tuple[FakeFlutterwave, str]) -> FakeFlutterwave:
    fake_flutterwave[0].reset()
    return fake_flutterwave[0]


@pytest.fixture
def server(
    database_url: str, api_keys: dict[str, str], fake_flutterwave: tuple[FakeFlutterwave, str], fw: FakeFlutterwave
) -> Iterator[LiveServer]:
    yield from serve(
        database_url,
        api_keys,
        providers=("flutterwave",),
        flutterwave=FlutterwaveConfig(
            secret_key=SECRET_KEY, secret_hashes=(SECRET_HASH,), api_base=fake_flutterwave[1]
        ),
        provider_timeout_seconds=1,
    )


def deliver(s: LiveServer, webhook: Webhook) -> httpx.Response:
    return s.http.post("/api/v1/webhooks/flutterwave", content=webhook.body, headers=webhook.headers)


def received(s: LiveServer, webhook: Webhook, *, duplicate: bool = False) -> None:
    answer = deliver(s, webhook)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["received"], answer.json()["duplicate"]) == (True, duplicate)


def paid_tx_id(webhook: Webhook) -> int:
    """Flutterwave's numeric transaction id, as its charge.completed webhook states it."""
    return int(json.loads(webhook.body)["data"]["id"])


def payment(s: LiveServer, payment_id: str) -> dict[str, Any]:
    body: dict[str, Any] = s.get(f"/api/v1/payments/{payment_id}", key="reader").json()
    return body


def checkout(s: LiveServer, order_id: str, amount: int = 10_050) -> dict[str, Any]:
    created = s.checkout(order_id, amount, "NGN", provider="flutterwave", customer={"email": "ada@example.com"})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def test_pay_then_refund_in_two_steps_with_the_audit_trail(server: LiveServer, fw: FakeFlutterwave) -> None:
    s = server
    created = checkout(s, "order-fw", 10_050)
    pid = created["id"]
    assert (created["status"], created["provider"], created["provider_reference"]) == ("processing", "flutterwave", pid)
    assert "/v3/hosted/pay/" in created["checkout_url"]
    [sent] = fw.calls("POST", "/v3/payments")
    assert b'"amount":100.50' in sent.body

    paid = fw.pay(pid)
    received(s, paid)
    assert payment(s, pid)["status"] == "succeeded"
    assert len(fw.calls("GET", VERIFY)) == 1  # re-verified through the API before it counted
    received(s, paid, duplicate=True)  # Flutterwave sends duplicates: stored once, never confirmed twice
    assert len(fw.calls("GET", VERIFY)) == 1

    fw.refund_status = "pending"
    partial = s.refund(pid, amount=2_550, reason="requested_by_customer")
    assert partial.status_code == 202, partial.text
    flw_refund_id = next(iter(fw.refunds))
    assert (partial.json()["status"], partial.json()["provider_reference"]) == ("pending", str(flw_refund_id))
    assert fw.calls("POST", "/refund")[0].json() == {"amount": Decimal("25.50"), "comments": partial.json()["id"]}

    settled = fw.complete_refund(flw_refund_id)
    received(s, settled)
    after_partial = payment(s, pid)
    assert (after_partial["status"], after_partial["amount_refunded"]) == ("partially_refunded", 2_550)
    received(s, settled, duplicate=True)

    fw.refund_status = "completed"  # Flutterwave may answer a refund as completed at once
    rest = s.refund(pid)
    assert rest.status_code == 202, rest.text
    assert (rest.json()["amount"], rest.json()["status"]) == (7_500, "succeeded")
    refunded = payment(s, pid)
    assert (refunded["status"], refunded["amount_refunded"]) == ("refunded", 10_050)
    assert sorted((r["amount"], r["status"]) for r in refunded["refunds"]) == [
        (2_550, "succeeded"),
        (7_500, "succeeded"),
    ]
    assert len(fw.calls("POST", "/refund")) == 2

    trail = s.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    assert [(e["type"], e["from_status"], e["to_status"], e["source"]) for e in trail] == [
        ("payment.initiated", None, "processing", "api"),
        ("payment.checkout_session_created", "processing", "processing", "api"),
        ("payment.succeeded", "processing", "succeeded", "webhook"),
        ("refund.requested", "succeeded", "succeeded", "admin"),
        ("refund.submitted", "succeeded", "succeeded", "admin"),
        ("refund.succeeded", "succeeded", "succeeded", "webhook"),
        ("payment.partially_refunded", "succeeded", "partially_refunded", "webhook"),
        ("refund.requested", "partially_refunded", "partially_refunded", "admin"),
        ("refund.submitted", "partially_refunded", "partially_refunded", "admin"),
        ("refund.succeeded", "partially_refunded", "partially_refunded", "admin"),
        ("payment.refunded", "partially_refunded", "refunded", "admin"),
    ]
    succeeded = next(e for e in trail if e["type"] == "payment.succeeded")
    assert succeeded["actor"] == "flutterwave"
    assert succeeded["provider_event_id"].startswith(f"charge.completed:{paid_tx_id(paid)}:successful:")
    assert s.get(f"/api/v1/transactions/{flw_refund_id}", key="reader").json()["kind"] == "refund"


def test_late_and_out_of_order_deliveries_do_not_move_a_payment_backwards(
    server: LiveServer, fw: FakeFlutterwave
) -> None:
    s = server
    pid = checkout(s, "order-fw-order")["id"]
    declined = fw.pay(pid, status="failed")  # the first card was declined; its webhook is delayed
    paid = fw.pay(pid)  # the customer tried another card on the same page

    received(s, paid)
    received(s, declined)  # arrives late: verified as failed, but succeeded → failed is not a move we make
    received(s, paid, duplicate=True)
    assert payment(s, pid)["status"] == "succeeded"
    trail = [e["type"] for e in s.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]]
    assert trail.count("payment.succeeded") == 1
    assert "payment.failed" not in trail


def test_forged_or_mismatched_successes_do_not_count(server: LiveServer, fw: FakeFlutterwave) -> None:
    s = server
    declined_pid = checkout(s, "order-fw-forged-status")["id"]
    declined = fw.pay(declined_pid, status="failed")
    tx_id = paid_tx_id(declined)
    received(s, fw.charge_webhook(tx_id, status="successful"))  # knows the secret hash, lies about the status
    assert payment(s, declined_pid)["status"] == "failed"  # what Flutterwave's API says, not the webhook

    short_pid = checkout(s, "order-fw-short", 10_050)["id"]
    short = fw.pay(short_pid, amount=Decimal("50"))  # the customer paid 50.00, not 100.50
    short_tx = paid_tx_id(short)
    received(s, fw.charge_webhook(short_tx, amount=Decimal("100.5")))  # forged amount: the API disagrees
    received(s, short)  # honest webhook: the API's 50.00 is not our payment's 100.50
    assert payment(s, short_pid)["status"] == "processing"

    bad = deliver(s, fw.charge_webhook(short_tx, secret_hash="not-the-secret-hash"))
    assert bad.status_code == 400
    assert bad.json()["type"].endswith("/problems/invalid-signature")


@pytest.mark.parametrize("reading", ["equality", "hmac"])
def test_v4_webhooks_under_either_signature_reading(
    server: LiveServer, fw: FakeFlutterwave, reading: Literal["equality", "hmac"]
) -> None:
    s = server
    pid = checkout(s, f"order-fw-v4-{reading}")["id"]
    fw.pay(pid)
    body = fw.v4_charge(pid)
    received(s, Webhook(body, fw.v4_headers(body, reading)))
    assert payment(s, pid)["status"] == "succeeded"
    forged = deliver(s, Webhook(body, fw.v4_headers(body, reading, secret_hash="wrong")))
    assert forged.status_code == 400


def test_checkout_when_flutterwave_times_out(server: LiveServer, fw: FakeFlutterwave) -> None:
    s = server
    fw.slow_next(seconds=1.5, path="/v3/payments")
    failed = s.checkout("order-fw-slow", 10_050, "NGN", provider="flutterwave")
    assert failed.status_code == 503, failed.text
    assert failed.json()["type"].endswith("/problems/provider-unavailable")
    assert int(failed.headers["retry-after"]) > 0
    status = s.get("/api/v1/orders/order-fw-slow/payment-status", key="orders").json()
    assert status["status"] == "processing"  # kept, visible, and picked up again by the client's retry

    retried = s.checkout("order-fw-slow", 10_050, "NGN", provider="flutterwave")
    assert retried.status_code == 200, retried.text
    assert retried.json()["id"] == status["payment_id"]
    assert "/v3/hosted/pay/" in retried.json()["checkout_url"]
    assert [c.json()["tx_ref"] for c in fw.calls("POST", "/v3/payments")] == [status["payment_id"]] * 2


def test_refund_when_flutterwave_times_out_is_sent_once_and_settles_later(
    server: LiveServer, fw: FakeFlutterwave
) -> None:
    s = server
    pid = checkout(s, "order-fw-slow-refund")["id"]
    received(s, fw.pay(pid))
    fw.refund_status = "pending"
    fw.slow_next(seconds=1.5, path="/refund")

    first = s.refund(pid, idempotency_key="fw-refund-once", amount=4_000)
    again = s.refund(pid, idempotency_key="fw-refund-once", amount=4_000)

    assert (first.status_code, again.status_code) == (202, 202)
    assert (first.json()["status"], first.json()["provider_reference"]) == ("pending", None)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(fw.calls("POST", "/refund")) == 1  # no idempotency in v3: never a second call

    # Flutterwave did refund; its webhook names our refund (sent as `comments`), so it still finds it
    received(s, fw.complete_refund(next(iter(fw.refunds))))
    settled = payment(s, pid)
    assert (settled["status"], settled["amount_refunded"]) == ("partially_refunded", 4_000)
    assert settled["refunds"][0]["status"] == "succeeded"


def test_a_correctly_signed_unreadable_event_is_malformed_and_nothing_stored(
    server: LiveServer, fw: FakeFlutterwave
) -> None:
    pid = checkout(server, "order-fw-malformed")["id"]
    webhook = fw.pay(pid)
    event = json.loads(webhook.body)
    unreadable = [
        *NOT_AN_EVENT,
        json.dumps({"event": "charge.completed"}).encode(),  # no data
        json.dumps({**event, "data": {**event["data"], "amount": "a hundred"}}).encode(),
        json.dumps({"type": "charge.completed", "data": event["data"]}).encode(),  # v4 without its id
        json.dumps({"id": LONG_EVENT_ID, "type": "charge.completed", "data": event["data"]}).encode(),
    ]
    assert_malformed(server, "flutterwave", [(raw, webhook.headers) for raw in unreadable])

    bad = deliver(server, fw.charge_webhook(paid_tx_id(webhook), secret_hash="not-the-secret-hash"))
    assert_refused(bad, "invalid-signature")
    assert stored_webhooks(server) == 0
    assert payment(server, pid)["status"] == "processing"
