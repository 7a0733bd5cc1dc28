"""Paystack end to end over real HTTP, on SQLite and on Postgres: the service talks to a fake Paystack (its wire
format, its quirks), and the fake's signed webhooks come back to the service's webhook route.

check out in NGN → the customer pays → signed `charge.success` → verified with Paystack → refund in two steps,
settled by `refund.processed`; duplicates, out-of-order and forged deliveries; Paystack timing out mid-call.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.e2e.conftest import TWO_STEP_REFUND_TRAIL, LiveServer
from tests.e2e.paystack.conftest import SLOW, webhook
from tests.e2e.webhook_refusals import NOT_AN_EVENT, assert_malformed, assert_refused, stored_webhooks
from tests.provider_fakes.paystack import FakePaystack


def checkout(s: LiveServer, order_id: str, amount: int = 10_000, **body: Any) -> dict[str, Any]:
    created = s.checkout(order_id, amount, "NGN", provider="paystack", **body)
    assert created.status_code == 201, created.text
    payment: dict[str, Any] = created.json()
    return payment


def paid(s: LiveServer, paystack: FakePaystack, order_id: str, amount: int = 10_000) -> dict[str, Any]:
    payment = checkout(s, order_id, amount)
    paystack.pay(payment["provider_reference"])
    webhook(s, paystack, paystack.charge_success(payment["provider_reference"]))
    assert s.payment(payment["id"])["status"] == "succeeded"
    return payment


def test_checkout_pay_refund_in_two_steps(server: LiveServer, paystack: FakePaystack) -> None:
    s = server
    payment = checkout(s, "order-ps", customer={"email": "ada@example.com"}, return_url="https://shop.example/paid")
    pid, reference = payment["id"], payment["provider_reference"]
    assert (payment["status"], payment["provider"], payment["currency"]) == ("processing", "paystack", "NGN")
    transaction = paystack.transactions[reference]
    assert payment["checkout_url"] == f"https://checkout.paystack.com/{transaction.access_code}"
    [initialize] = paystack.calls_to("POST", "/transaction/initialize")
    assert (initialize.body["amount"], initialize.body["email"], initialize.body["metadata"]["payment_id"]) == (
        10_000,
        "ada@example.com",
        pid,
    )

    paystack.pay(reference)
    charge = paystack.charge_success(reference)
    assert webhook(s, paystack, charge)["duplicate"] is False
    assert s.payment(pid)["status"] == "succeeded"
    assert len(paystack.calls_to("GET", f"/transaction/verify/{reference}")) == 1  # verified before value
    assert webhook(s, paystack, charge)["duplicate"] is True  # Paystack's retry of the same event
    assert len(paystack.calls_to("GET", "/transaction/verify/")) == 1  # and never verified twice

    partial = s.refund(pid, amount=2_500)
    assert partial.status_code == 202, partial.text
    first = partial.json()
    assert (first["status"], first["amount"]) == ("pending", 2_500)
    [refund_call] = paystack.calls_to("POST", "/refund")
    assert (refund_call.body["transaction"], refund_call.body["amount"]) == (reference, 2_500)
    paystack_refund_id = int(first["provider_reference"])

    processed = paystack.refund_event(paystack_refund_id, amount_as_string=True)
    assert webhook(s, paystack, processed)["duplicate"] is False
    after_partial = s.payment(pid)
    assert (after_partial["status"], after_partial["amount_refunded"]) == ("partially_refunded", 2_500)
    assert webhook(s, paystack, processed)["duplicate"] is True  # refund.processed delivered twice
    # out of order: a `refund.failed` for a refund already processed is stored, and changes nothing
    late_failure = webhook(s, paystack, paystack.refund_event(paystack_refund_id, "refund.failed"))
    assert late_failure["duplicate"] is False
    assert s.inbox(late_failure["id"])[0] == "ignored"
    assert s.payment(pid)["refunds"][0]["status"] == "succeeded"

    rest = s.refund(pid)  # all that remains
    assert rest.status_code == 202, rest.text
    assert rest.json()["amount"] == 7_500
    webhook(s, paystack, paystack.refund_event(int(rest.json()["provider_reference"]), amount_as_string=False))
    refunded = s.payment(pid)
    assert (refunded["status"], refunded["amount_refunded"]) == ("refunded", 10_000)
    assert sorted((r["amount"], r["status"]) for r in refunded["refunds"]) == [
        (2_500, "succeeded"),
        (7_500, "succeeded"),
    ]

    # charge.success again after the refund: recognised, and the payment stays refunded
    assert webhook(s, paystack, charge)["duplicate"] is True
    assert s.payment(pid)["status"] == "refunded"
    assert len(paystack.calls_to("POST", "/refund")) == 2

    trail = s.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    assert [(e["type"], e["to_status"], e["source"]) for e in trail] == TWO_STEP_REFUND_TRAIL
    succeeded = next(e for e in trail if e["type"] == "payment.succeeded")
    assert (succeeded["actor"], succeeded["provider_event_id"]) == (
        "paystack",
        f"charge.success:{transaction.id}:success",
    )


@pytest.mark.parametrize(
    ("paystack_says", "status", "stored"),
    [
        ("failed", "failed", "processed"),  # Paystack: the charge failed → so does the payment
        ("less money", "processing", "ignored"),  # Paystack took 1 NGN, the webhook claims 100 NGN
        ("abandoned", "processing", "failed"),  # not paid (yet): kept for a later retry, never succeeded
    ],
)
def test_a_forged_charge_success_is_not_believed(
    server: LiveServer, paystack: FakePaystack, paystack_says: str, status: str, stored: str
) -> None:
    s = server
    payment = checkout(s, f"order-forged-{paystack_says.replace(' ', '-')}")
    reference = payment["provider_reference"]
    if paystack_says == "failed":
        paystack.pay(reference, status="failed")
    elif paystack_says == "less money":
        paystack.pay(reference, amount=100)

    receipt = webhook(s, paystack, paystack.charge_success(reference, amount=10_000))

    after = s.payment(payment["id"])
    assert after["status"] == status
    assert s.inbox(receipt["id"])[0] == stored
    trail = [e["type"] for e in s.get(f"/api/v1/payments/{payment['id']}/events", key="reader").json()["data"]]
    assert "payment.succeeded" not in trail


def test_a_webhook_signed_with_another_key_is_refused(server: LiveServer, paystack: FakePaystack) -> None:
    payment = checkout(server, "order-bad-signature")
    paystack.pay(payment["provider_reference"])
    body = paystack.charge_success(payment["provider_reference"])
    refused = paystack.deliver(f"{server.base_url}/api/v1/webhooks/paystack", body, secret_key="sk_test_other")
    assert refused.status_code == 400
    assert refused.json()["type"].endswith("/problems/invalid-signature")
    assert server.payment(payment["id"])["status"] == "processing"
    assert paystack.calls_to("GET", "/transaction/verify/") == []


def test_paystack_timing_out_at_checkout(server: LiveServer, paystack: FakePaystack) -> None:
    s = server
    paystack.delay(SLOW, path="/transaction/initialize")  # Paystack creates it; its answer comes too late
    timed_out = s.checkout("order-slow", 10_000, "NGN", provider="paystack")
    assert timed_out.status_code == 503, timed_out.text  # our deadline (1 s) fired before Paystack's answer
    assert timed_out.json()["type"].endswith("/problems/provider-unavailable")
    assert int(timed_out.headers["retry-after"]) > 0
    status = s.get("/api/v1/orders/order-slow/payment-status", key="orders").json()
    assert status["status"] == "processing"  # kept, not stuck silently: the retry below completes it

    retried = s.checkout("order-slow", 10_000, "NGN", provider="paystack")
    assert retried.status_code == 200, retried.text
    payment = retried.json()
    assert payment["id"] == status["payment_id"]
    assert payment["checkout_url"].startswith("https://checkout.paystack.com/")
    assert payment["provider_reference"].endswith(".1")  # the first reference is Paystack's already

    paystack.pay(payment["provider_reference"])
    webhook(s, paystack, paystack.charge_success(payment["provider_reference"]))
    assert s.payment(payment["id"])["status"] == "succeeded"


def test_paystack_timing_out_on_a_refund_is_never_resent(server: LiveServer, paystack: FakePaystack) -> None:
    s = server
    pid = paid(s, paystack, "order-slow-refund")["id"]
    paystack.delay(SLOW, path="/refund")
    started = time.monotonic()

    first = s.refund(pid, idempotency_key="refund-slow-1", amount=4_000)
    again = s.refund(pid, idempotency_key="refund-slow-1", amount=4_000)

    assert (first.status_code, again.status_code) == (202, 202)
    assert (first.json()["status"], first.json()["provider_reference"]) == ("pending", None)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    time.sleep(max(0.0, started + SLOW + 0.1 - time.monotonic()))  # the late answer arrives; nothing follows it
    assert len(paystack.calls_to("POST", "/refund")) == 1
    assert len(paystack.refunds) == 1  # Paystack did queue it: the janitor settles it (lookup_refund)
    refunds = s.payment(pid)["refunds"]
    assert [(r["amount"], r["status"]) for r in refunds] == [(4_000, "pending")]
    # the pending refund still holds its money: nothing can refund it a second time meanwhile
    too_much = s.refund(pid, amount=6_001)
    assert too_much.status_code == 422, too_much.text


def test_a_correctly_signed_unreadable_event_is_malformed_and_nothing_stored(
    server: LiveServer, paystack: FakePaystack
) -> None:
    payment = checkout(server, "order-malformed")
    paystack.pay(payment["provider_reference"])
    body = paystack.charge_success(payment["provider_reference"])
    event = json.loads(body)
    unreadable = [
        *NOT_AN_EVENT,
        json.dumps({"data": event["data"]}).encode(),  # no event type
        json.dumps({**event, "data": "success"}).encode(),
        json.dumps({**event, "data": {**event["data"], "amount": 100.5}}).encode(),  # never money to us
        json.dumps({**event, "event": "charge." + "x" * 300}).encode(),  # a type no inbox column holds
    ]
    assert_malformed(server, "paystack", [(raw, paystack.headers(raw)) for raw in unreadable])

    refused = paystack.deliver(f"{server.base_url}/api/v1/webhooks/paystack", body, secret_key="sk_test_other")
    assert_refused(refused, "invalid-signature")
    assert stored_webhooks(server) == 0
    assert paystack.calls_to("GET", "/transaction/verify/") == []
