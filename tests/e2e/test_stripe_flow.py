"""Stripe end to end over real HTTP, on SQLite and on Postgres: our service runs with the Stripe adapter pointed
at the fake Stripe API; the fake plays the customer and Stripe, and POSTs signed events to our webhook URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infrastructure.providers.stripe.config import StripeConfig
from tests.e2e.conftest import TWO_STEP_REFUND_TRAIL, LiveServer, serve
from tests.e2e.webhook_refusals import (
    LONG_EVENT_ID,
    NOT_AN_EVENT,
    assert_malformed,
    assert_refused,
    stored_webhooks,
    with_event_id,
)
from tests.provider_fakes.server import running
from tests.provider_fakes.stripe import FakeStripe, StripeEvent

ROTATED_OUT = "whsec_rotated_out_" + "1" * 24  # still configured: events signed with either secret pass


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    with running(fake) as url:
        fake.api_base = url
        yield fake


@pytest.fixture
def server(database_url: str, api_keys: dict[str, str], fake: FakeStripe) -> Iterator[LiveServer]:
    for live in serve(
        database_url,
        api_keys,
        providers=("stripe",),
        stripe=StripeConfig(
            secret_key=fake.secret_key, webhook_secrets=(ROTATED_OUT, fake.webhook_secret), api_base=fake.api_base
        ),
        provider_timeout_seconds=1,
    ):
        fake.webhook_url = f"{live.base_url}/api/v1/webhooks/stripe"
        yield live


def delivered(fake: FakeStripe, *events: StripeEvent) -> list[dict[str, Any]]:
    answers = []
    for event in events:
        response = fake.deliver(event)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


def checkout(s: LiveServer, order_id: str, amount: int = 10_000, **body: Any) -> dict[str, Any]:
    created = s.checkout(order_id, amount, "USD", provider="stripe", **body)
    assert created.status_code == 201, created.text
    payment: dict[str, Any] = created.json()
    return payment


def payment(s: LiveServer, payment_id: str) -> dict[str, Any]:
    body: dict[str, Any] = s.get(f"/api/v1/payments/{payment_id}", key="admin").json()
    return body


def paid(s: LiveServer, fake: FakeStripe, order_id: str, amount: int = 10_000) -> dict[str, Any]:
    created = checkout(s, order_id, amount)
    completed, _ = fake.pay(created["provider_reference"])
    delivered(fake, completed)
    return created


def test_checkout_pay_and_refund_in_two_steps_with_the_audit_trail(server: LiveServer, fake: FakeStripe) -> None:
    s = server
    created = checkout(
        s,
        "order-stripe",
        return_url="https://shop.example/paid",
        cancel_url="https://shop.example/cart",
        customer={"email": "ada@example.com"},
        description="Two books",
    )
    pid, reference = created["id"], created["provider_reference"]
    session = fake.sessions[reference]
    assert (created["provider"], created["status"], created["checkout_url"]) == ("stripe", "processing", session["url"])
    [sent] = fake.received("POST", "/v1/checkout/sessions")
    assert (sent.idempotency_key, sent.params["client_reference_id"]) == (f"checkout-{pid}", pid)
    assert sent.params["payment_intent_data"]["metadata"]["payment_id"] == pid

    completed, intent_succeeded = fake.pay(reference)
    assert delivered(fake, completed)[0]["duplicate"] is False
    assert s.get("/api/v1/orders/order-stripe/payment-status", key="orders").json()["status"] == "succeeded"
    delivered(fake, intent_succeeded)  # the same news by another event: recorded, changes nothing
    assert s.inbox_by_event("stripe", intent_succeeded.id)[0] == "ignored"

    partial = s.refund(pid, amount=2_500, reason="requested_by_customer")
    assert partial.status_code == 202, partial.text
    refund = partial.json()
    assert (refund["status"], refund["amount"]) == ("pending", 2_500)
    assert refund["provider_reference"] in fake.refunds
    [sent_refund] = fake.received("POST", "/v1/refunds")
    assert sent_refund.idempotency_key == f"refund-{refund['id']}"
    assert sent_refund.params["payment_intent"] == session["payment_intent"]
    assert sent_refund.params["metadata"] == {"refund_id": refund["id"], "payment_id": pid}

    delivered(fake, *fake.settle_refund(refund["provider_reference"]))  # refund.updated, then charge.refunded
    after_partial = payment(s, pid)
    assert (after_partial["status"], after_partial["amount_refunded"]) == ("partially_refunded", 2_500)

    rest = s.refund(pid)
    assert rest.status_code == 202, rest.text
    assert rest.json()["amount"] == 7_500
    delivered(fake, *fake.settle_refund(rest.json()["provider_reference"]))
    refunded = payment(s, pid)
    assert (refunded["status"], refunded["amount_refunded"]) == ("refunded", 10_000)

    trail = s.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    assert [(e["type"], e["to_status"], e["source"]) for e in trail] == TWO_STEP_REFUND_TRAIL
    succeeded = next(e for e in trail if e["type"] == "payment.succeeded")
    assert (succeeded["actor"], succeeded["provider_event_id"]) == ("stripe", completed.id)


def test_a_duplicate_delivery_changes_nothing(server: LiveServer, fake: FakeStripe) -> None:
    created = checkout(server, "order-dup")
    completed, _ = fake.pay(created["provider_reference"])
    first, second = delivered(fake, completed, completed)
    assert (first["duplicate"], second["duplicate"], first["id"]) == (False, True, second["id"])
    trail = server.get(f"/api/v1/payments/{created['id']}/events", key="reader").json()["data"]
    assert [e["type"] for e in trail].count("payment.succeeded") == 1


def test_events_out_of_order_never_move_a_payment_backwards(server: LiveServer, fake: FakeStripe) -> None:
    created = paid(server, fake, "order-late")
    late = fake.expire(created["provider_reference"])  # sent before the payment, delivered after it
    delivered(fake, late)
    assert payment(server, created["id"])["status"] == "succeeded"
    status, reason = server.inbox_by_event("stripe", late.id)
    assert status == "ignored"
    assert reason is not None
    assert "out-of-order" in reason


def test_a_refund_webhook_that_beats_the_refund_answer(server: LiveServer, fake: FakeStripe) -> None:
    created = paid(server, fake, "order-race")
    fake.settle_refunds_before_answering = "succeeded"  # Stripe's webhook lands before its answer to us

    answered = server.refund(created["id"], amount=1_000)

    assert answered.status_code == 202, answered.text
    assert answered.json()["status"] == "succeeded"  # the late "pending" answer did not undo the webhook
    assert [r.status_code for r in fake.deliveries][-1] == 200
    assert len(fake.received("POST", "/v1/refunds")) == 1
    after = payment(server, created["id"])
    assert (after["status"], after["amount_refunded"]) == ("partially_refunded", 1_000)


def test_an_unpaid_completion_waits_for_the_async_payment(server: LiveServer, fake: FakeStripe) -> None:
    created = checkout(server, "order-debit")
    reference = created["provider_reference"]
    declined = fake.failed_attempt(reference)  # a first card was declined: the session stays open
    [completed] = fake.complete_unpaid(reference)
    delivered(fake, declined, completed)
    assert payment(server, created["id"])["status"] == "processing"
    assert server.inbox_by_event("stripe", completed.id)[0] == "ignored"

    delivered(fake, *fake.async_payment(reference))
    assert payment(server, created["id"])["status"] == "succeeded"


def test_an_event_for_an_unknown_payment_is_kept_as_failed(server: LiveServer, fake: FakeStripe) -> None:
    stranger = {
        "id": "cs_test_stranger",
        "client_reference_id": "pay_unknown",
        "metadata": {"payment_id": "pay_unknown"},
    }
    event = fake.event(
        "checkout.session.completed", {**stranger, "amount_total": 100, "currency": "usd", "payment_status": "paid"}
    )
    assert delivered(fake, event)[0]["duplicate"] is False
    status, reason = server.inbox_by_event("stripe", event.id)
    assert status == "failed"
    assert reason is not None
    assert "pay_unknown" in reason


def test_an_event_about_another_amount_is_ignored(server: LiveServer, fake: FakeStripe) -> None:
    created = checkout(server, "order-foreign", 10_000)
    session = fake.sessions[created["provider_reference"]]
    forged = fake.event("checkout.session.completed", {**session, "amount_total": 100, "payment_status": "paid"})
    delivered(fake, forged)
    assert payment(server, created["id"])["status"] == "processing"
    status, reason = server.inbox_by_event("stripe", forged.id)
    assert status == "ignored"
    assert reason is not None
    assert "amount" in reason


def test_a_dispute_is_linked_through_the_payment_intent(server: LiveServer, fake: FakeStripe) -> None:
    created = paid(server, fake, "order-dispute")
    delivered(fake, fake.dispute(created["provider_reference"]))
    assert payment(server, created["id"])["status"] == "disputed"


def test_a_bad_signature_is_refused_and_nothing_stored(server: LiveServer, fake: FakeStripe) -> None:
    created = checkout(server, "order-forged")
    completed, _ = fake.pay(created["provider_reference"])
    forged = fake.deliver(completed, signature=fake.signature(completed.body, secret="whsec_attacker"))
    assert forged.status_code == 400
    assert forged.json()["type"].endswith("/problems/invalid-signature")
    assert payment(server, created["id"])["status"] == "processing"


def test_stripe_timing_out_during_checkout_then_the_retry(server: LiveServer, fake: FakeStripe) -> None:
    fake.slow_next(2.0, path="/v1/checkout/sessions")  # Stripe makes the session; its answer comes too late

    timed_out = server.checkout("order-slow", 4_000, "USD", provider="stripe")

    assert timed_out.status_code == 503, timed_out.text
    assert timed_out.json()["type"].endswith("/problems/provider-unavailable")
    assert int(timed_out.headers["retry-after"]) > 0
    status = server.get("/api/v1/orders/order-slow/payment-status", key="orders").json()
    assert status["status"] == "processing"

    retried = server.checkout("order-slow", 4_000, "USD", provider="stripe")
    assert retried.status_code == 200, retried.text
    assert retried.json()["id"] == status["payment_id"]
    assert retried.json()["provider_reference"] in fake.sessions
    assert len(fake.sessions) == 1
    keys = [r.idempotency_key for r in fake.received("POST", "/v1/checkout/sessions")]
    assert keys == [f"checkout-{status['payment_id']}"] * 2


def test_stripe_timing_out_during_a_refund_sends_it_once(server: LiveServer, fake: FakeStripe) -> None:
    created = paid(server, fake, "order-slow-refund")
    fake.slow_next(2.0, path="/v1/refunds", method="POST")

    first = server.refund(created["id"], idempotency_key="refund-slow", amount=1_000)
    again = server.refund(created["id"], idempotency_key="refund-slow", amount=1_000)

    assert (first.status_code, again.status_code) == (202, 202)
    assert (first.json()["status"], first.json()["provider_reference"]) == ("pending", None)
    assert again.json()["id"] == first.json()["id"]
    assert len(fake.received("POST", "/v1/refunds")) == 1
    # Stripe did make it; its webhook names our refund id, so the refund settles without a second request.
    [made] = fake.refunds.values()
    delivered(fake, *fake.settle_refund(made["id"]))
    settled = payment(server, created["id"])
    assert (settled["status"], settled["refunds"][0]["status"]) == ("partially_refunded", "succeeded")
    assert len(fake.received("POST", "/v1/refunds")) == 1


def test_stripe_refusing_a_checkout_is_a_provider_error_with_its_message(server: LiveServer, fake: FakeStripe) -> None:
    message = "Amount must convert to at least 50 cents. $0.10 converts to approximately $0.10."
    fake.fail_next(400, message, code="amount_too_small", path="/v1/checkout/sessions")

    refused = server.checkout("order-small", 10, "USD", provider="stripe")

    assert refused.status_code == 502, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/problems/provider-error")
    assert message in problem["detail"]
    assert fake.secret_key not in refused.text
    assert server.get("/api/v1/orders/order-small/payment-status", key="orders").json()["status"] == "failed"


def test_an_undelivered_event_is_pulled_back_by_a_reconciliation_run(server: LiveServer, fake: FakeStripe) -> None:
    """The webhook never arrives; Stripe lists it as undelivered and a janitor run pulls it back through the
    inbox. It is applied as the webhook it should have been: audit source "webhook", actor "stripe"."""
    created = checkout(server, "order-missed")
    pid = created["id"]
    completed, succeeded = fake.undelivered(*fake.pay(created["provider_reference"]))  # never delivered

    run = server.post("/api/v1/reconciliation/runs", key="admin")

    assert run.status_code == 200, run.text
    report = run.json()
    assert (report["pulled_events"], report["new_events"], report["checked"], report["errors"]) == (2, 2, 0, [])
    [listed] = fake.received("GET", "/v1/events")
    assert listed.params["delivery_success"] == "false"
    assert payment(server, pid)["status"] == "succeeded"
    trail = server.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    [paid_row] = [e for e in trail if e["type"] == "payment.succeeded"]
    # the oldest undelivered event settles it; the second (payment_intent.succeeded) changes nothing
    assert (paid_row["source"], paid_row["actor"], paid_row["provider_event_id"]) == ("webhook", "stripe", completed.id)

    again = server.post("/api/v1/reconciliation/runs", key="admin").json()
    assert (again["pulled_events"], again["new_events"]) == (2, 0)  # still listed by Stripe: duplicates
    late = fake.deliver(succeeded)  # Stripe's own retry finally gets through: a duplicate too
    assert (late.status_code, late.json()["duplicate"]) == (200, True)
    trail = server.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    assert [e["type"] for e in trail].count("payment.succeeded") == 1


def test_a_correctly_signed_unreadable_event_is_malformed_and_nothing_stored(
    server: LiveServer, fake: FakeStripe
) -> None:
    created = checkout(server, "order-malformed")
    completed, _ = fake.pay(created["provider_reference"])
    event = json.loads(completed.body)
    unreadable = [
        *NOT_AN_EVENT,
        json.dumps({k: v for k, v in event.items() if k != "type"}).encode(),  # no type
        json.dumps({**event, "created": 2**40}).encode(),  # year 36812: no datetime holds it
        json.dumps({**event, "data": {"object": {"id": 7}}}).encode(),  # a session whose id is not a string
        with_event_id(completed.body, LONG_EVENT_ID),
    ]
    signed = [
        (body, {"Content-Type": "application/json", "Stripe-Signature": fake.signature(body)}) for body in unreadable
    ]
    assert_malformed(server, "stripe", signed)

    forged = fake.deliver(completed, signature=fake.signature(completed.body, secret="whsec_attacker"))
    assert_refused(forged, "invalid-signature")
    assert stored_webhooks(server) == 0
    assert payment(server, created["id"])["status"] == "processing"
