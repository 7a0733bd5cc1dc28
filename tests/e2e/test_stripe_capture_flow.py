"""Stripe's authorize now, capture later, and cancel, end to end over real HTTP on SQLite and on Postgres: our
service runs with the Stripe adapter pointed at the fake Stripe API, which plays the customer and Stripe and
POSTs signed events to our webhook URL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from infrastructure.providers.stripe.config import StripeConfig
from tests.e2e.conftest import LiveServer, serve
from tests.provider_fakes.server import running
from tests.provider_fakes.stripe import FakeStripe, StripeEvent


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    with running(fake) as url:
        fake.api_base = url
        yield fake


@pytest.fixture
def server(database_url: str, api_keys: dict[str, str], fake: FakeStripe) -> Iterator[LiveServer]:
    stripe = StripeConfig(secret_key=fake.secret_key, webhook_secrets=(fake.webhook_secret,), api_base=fake.api_base)
    for live in serve(database_url, api_keys, providers=("stripe",), stripe=stripe, provider_timeout_seconds=1):
        fake.webhook_url = f"{live.base_url}/api/v1/webhooks/stripe"
        yield live


def delivered(fake: FakeStripe, *events: StripeEvent) -> None:
    for event in events:
        response = fake.deliver(event)
        assert response.status_code == 200, response.text


def checkout(s: LiveServer, order_id: str, amount: int = 10_000, capture: str = "manual") -> dict[str, Any]:
    created = s.checkout(order_id, amount, "USD", provider="stripe", capture=capture)
    assert created.status_code == 201, created.text
    payment: dict[str, Any] = created.json()
    return payment


def authorized(s: LiveServer, fake: FakeStripe, order_id: str, amount: int = 10_000) -> dict[str, Any]:
    """Checked out for manual capture, authorized by the customer, and told to us by Stripe's webhook."""
    created = checkout(s, order_id, amount)
    completed, _capturable = fake.authorize(created["provider_reference"])
    delivered(fake, completed)
    payment = s.payment(created["id"])
    assert payment["status"] == "authorized", payment
    return payment


def capture(s: LiveServer, payment_id: str, key: str | None = None, **body: Any) -> httpx.Response:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return s.post(f"/api/v1/payments/{payment_id}/capture", key="orders", headers=headers, json=body)


def cancel(s: LiveServer, payment_id: str, **body: Any) -> httpx.Response:
    return s.post(f"/api/v1/payments/{payment_id}/cancel", key="orders", json=body)


def problem_type(response: httpx.Response) -> str:
    slug: str = response.json()["type"].rsplit("/", 1)[-1]
    return slug


def captures_at_stripe(fake: FakeStripe, created: dict[str, Any]) -> int:
    intent = fake.intent_of(created["provider_reference"])["id"]
    return len(fake.received("POST", f"/v1/payment_intents/{intent}/capture"))


def test_authorize_capture_part_and_refund_only_what_was_captured(server: LiveServer, fake: FakeStripe) -> None:
    s = server
    created = checkout(s, "order-hold")
    assert (created["status"], created["capture"]) == ("processing", "manual")
    [sent] = fake.received("POST", "/v1/checkout/sessions")
    assert sent.params["payment_intent_data"]["capture_method"] == "manual"
    assert sent.params["payment_intent_data"]["metadata"]["payment_id"] == created["id"]

    completed, capturable = fake.authorize(created["provider_reference"])
    delivered(fake, completed, capturable)  # the same news twice, by two events
    held = s.payment(created["id"])
    assert (held["status"], held["amount_capturable"], held["capture_pending"]) == ("authorized", 10_000, False)
    intent = fake.intent_of(created["provider_reference"])
    capture_before = fake.charges[intent["latest_charge"]]["payment_method_details"]["card"]["capture_before"]
    assert held["expires_at"] == datetime.fromtimestamp(capture_before, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert s.inbox_by_event("stripe", capturable.id)[0] == "ignored"

    no_key = s.post(f"/api/v1/payments/{created['id']}/capture", key="orders", json={"amount": 7_000})
    assert (no_key.status_code, problem_type(no_key)) == (400, "idempotency-key-required")
    captured = capture(s, created["id"], amount=7_000)
    assert captured.status_code == 200, captured.text
    body = captured.json()
    assert (body["status"], body["amount_captured"], body["amount_capturable"]) == ("succeeded", 7_000, 0)
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 7_000)
    assert captures_at_stripe(fake, created) == 1
    delivered(fake, fake.last_event("charge.captured"), fake.last_event("payment_intent.succeeded"))
    assert s.payment(created["id"])["amount_captured"] == 7_000  # Stripe's word agrees: nothing changes

    too_much = s.refund(created["id"], amount=7_001)
    assert (too_much.status_code, problem_type(too_much)) == (422, "refund-exceeds-available")
    refund = s.refund(created["id"], amount=7_000)
    assert refund.status_code == 202, refund.text
    assert fake.refunds[refund.json()["provider_reference"]]["amount"] == 7_000
    delivered(fake, *fake.settle_refund(refund.json()["provider_reference"]))
    refunded = s.payment(created["id"])
    assert (refunded["status"], refunded["amount_refunded"]) == ("refunded", 7_000)
    trail = s.get(f"/api/v1/payments/{created['id']}/events", key="reader").json()["data"]
    assert [e["to_status"] for e in trail if e["type"].startswith("payment.")][-3:] == [
        "authorized",
        "succeeded",
        "refunded",
    ]


def test_cancelling_a_hold_voids_it_at_stripe(server: LiveServer, fake: FakeStripe) -> None:
    held = authorized(server, fake, "order-void")
    intent = fake.intent_of(held["provider_reference"])

    first, again = cancel(server, held["id"], reason="out of stock"), cancel(server, held["id"])

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["status"] == again.json()["status"] == "cancelled"
    assert intent["status"] == "canceled"
    assert len(fake.received("POST", f"/v1/payment_intents/{intent['id']}/cancel")) == 1
    voided = fake.last_event("payment_intent.canceled")
    delivered(fake, voided)  # Stripe's word of our own void: nothing changes
    assert server.inbox_by_event("stripe", voided.id)[0] == "ignored"
    assert capture(server, held["id"]).status_code == 409


def test_cancelling_an_open_checkout_expires_its_session(server: LiveServer, fake: FakeStripe) -> None:
    created = checkout(server, "order-open", capture="automatic")
    reference = created["provider_reference"]

    first, again = cancel(server, created["id"]), cancel(server, created["id"])

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["status"] == again.json()["status"] == "cancelled"
    assert fake.sessions[reference]["status"] == "expired"
    assert len(fake.received("POST", f"/v1/checkout/sessions/{reference}/expire")) == 1
    delivered(fake, fake.last_event("checkout.session.expired"))
    assert server.payment(created["id"])["status"] == "cancelled"


def test_a_cancel_after_the_customer_authorized_waits_for_stripes_word(server: LiveServer, fake: FakeStripe) -> None:
    created = checkout(server, "order-race")
    completed, _ = fake.authorize(created["provider_reference"])  # its webhook is still on the way

    refused = cancel(server, created["id"])

    # not a provider failure: the customer finished the checkout, and the payment is no longer open
    assert (refused.status_code, problem_type(refused)) == (409, "payment-not-cancellable")
    assert "just completed by the customer at the provider" in refused.json()["detail"]
    assert server.payment(created["id"])["status"] == "processing"
    delivered(fake, completed)
    voided = cancel(server, created["id"])
    assert (voided.status_code, voided.json()["status"]) == (200, "cancelled")
    assert fake.intent_of(created["provider_reference"])["status"] == "canceled"


def test_a_paid_payment_is_not_cancellable(server: LiveServer, fake: FakeStripe) -> None:
    created = checkout(server, "order-paid", capture="automatic")
    delivered(fake, fake.pay(created["provider_reference"])[0])
    requests_before = len(fake.requests)

    refused = cancel(server, created["id"])

    assert (refused.status_code, problem_type(refused)) == (409, "payment-not-cancellable")
    assert server.payment(created["id"])["status"] == "succeeded"
    assert len(fake.requests) == requests_before  # Stripe was not asked


def test_a_capture_that_times_out_stays_pending_until_stripes_webhook(server: LiveServer, fake: FakeStripe) -> None:
    held = authorized(server, fake, "order-slow-capture")
    fake.capture_times_out(2.0)  # Stripe captures; its answer comes after our 1 s

    pending = capture(server, held["id"], amount=6_000)

    assert pending.status_code == 200, pending.text
    assert (pending.json()["status"], pending.json()["capture_pending"]) == ("authorized", True)
    again = capture(server, held["id"], amount=6_000)
    assert (again.status_code, problem_type(again)) == (409, "payment-not-capturable")
    assert captures_at_stripe(fake, held) == 1
    delivered(fake, fake.last_event("payment_intent.succeeded"))
    settled = server.payment(held["id"])
    assert (settled["status"], settled["amount_captured"], settled["capture_pending"]) == ("succeeded", 6_000, False)
    assert captures_at_stripe(fake, held) == 1


def test_a_timed_out_capture_whose_webhook_is_lost_is_settled_by_a_reconciliation_run(
    server: LiveServer, fake: FakeStripe
) -> None:
    held = authorized(server, fake, "order-lost-capture")
    fake.capture_times_out(2.0)
    assert capture(server, held["id"]).json()["capture_pending"] is True
    fake.undelivered(fake.last_event("charge.captured"), fake.last_event("payment_intent.succeeded"))

    run = server.post("/api/v1/reconciliation/runs", key="admin")

    assert run.status_code == 200, run.text
    assert (run.json()["pulled_events"], run.json()["new_events"]) == (2, 2)
    settled = server.payment(held["id"])
    assert (settled["status"], settled["amount_captured"]) == ("succeeded", 10_000)
    assert captures_at_stripe(fake, held) == 1


def test_two_concurrent_captures_reach_stripe_once(server: LiveServer, fake: FakeStripe) -> None:
    held = authorized(server, fake, "order-concurrent")
    fake.slow_next(0.3, method="POST", suffix="/capture")  # the first is still at Stripe when the second comes
    answers: list[httpx.Response] = []
    start = threading.Barrier(2)

    def send(key: str) -> None:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            start.wait()
            headers = {**server.auth("orders"), "Idempotency-Key": key}
            answers.append(http.post(f"/api/v1/payments/{held['id']}/capture", headers=headers, json={}))

    threads = [threading.Thread(target=send, args=(f"capture-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    [conflict] = [a for a in answers if a.status_code == 409]
    assert problem_type(conflict) == "payment-not-capturable"
    assert captures_at_stripe(fake, held) == 1
    assert server.payment(held["id"])["status"] == "succeeded"


def test_a_hold_stripe_lets_lapse_expires(server: LiveServer, fake: FakeStripe) -> None:
    held = authorized(server, fake, "order-lapse")
    delivered(fake, fake.lapse(held["provider_reference"]))
    assert server.payment(held["id"])["status"] == "expired"
