"""PayPal end to end over real HTTP, on SQLite and on Postgres: the service talks to a fake PayPal (its wire
format, OAuth, idempotency keys), and the fake's signed webhooks come back to the service's webhook route,
verified by postback (see `service.py`).

check out in USD → the buyer approves → CHECKOUT.ORDER.APPROVED → we capture → refund in two steps, the first
settled by PAYMENT.CAPTURE.REFUNDED; duplicate, late and forged deliveries; PayPal timing out mid-call.
"""

from __future__ import annotations

import json
import uuid

from tests.e2e.conftest import LiveServer
from tests.e2e.paypal.service import SLOW, deliver
from tests.e2e.webhook_refusals import (
    LONG_EVENT_ID,
    NOT_AN_EVENT,
    assert_malformed,
    assert_refused,
    stored_webhooks,
    with_event_id,
)
from tests.provider_fakes.paypal import FakePayPal, new_key, sign_webhook


def test_approve_capture_and_refund_in_two_steps(server: LiveServer, paypal: FakePayPal, database_url: str) -> None:
    s = server
    created = s.checkout(
        "order-pp-1", 10_000, "USD", provider="paypal", return_url="https://shop.example/paid", description="Order 1"
    )
    assert created.status_code == 201, created.text
    payment = created.json()
    pid, order_id = payment["id"], payment["provider_reference"]
    assert (payment["provider"], payment["status"]) == ("paypal", "processing")
    assert payment["checkout_url"] == f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}"
    unit = paypal.calls("create_order")[0].json()["purchase_units"][0]
    assert (unit["custom_id"], unit["amount"]) == (pid, {"currency_code": "USD", "value": "100.00"})

    # The buyer approves on PayPal; PayPal tells us; we verify the delivery with PayPal, then capture.
    approved = paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.approve(order_id))
    receipt = deliver(s, *approved)
    assert receipt["duplicate"] is False
    assert s.inbox(receipt["id"]) == ("processed", None)
    assert s.payment(pid)["status"] == "succeeded"
    assert len(paypal.calls("verify")) == 1
    assert [c.headers["paypal-request-id"] for c in paypal.calls("capture")] == [f"capture-{pid}"]

    # Duplicates and late news change nothing; a second approval never captures twice.
    assert deliver(s, *approved)["duplicate"] is True
    late = deliver(s, *paypal.webhook("PAYMENT.CAPTURE.COMPLETED", paypal.capture_of(order_id)))
    assert s.inbox(late["id"])[0] == "ignored"
    reapproved = deliver(s, *paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.order(order_id)))
    assert s.inbox(reapproved["id"])[0] == "ignored"
    assert (len(paypal.calls("capture")), len(paypal.captures)) == (2, 1)  # same request id: same capture
    assert s.payment(pid)["status"] == "succeeded"

    # A partial refund PayPal leaves pending; its webhook settles it.
    paypal.refund_status = "PENDING"
    partial = s.refund(pid, amount=2_500, reason="requested_by_customer")
    assert partial.status_code == 202, partial.text
    reference = partial.json()["provider_reference"]
    assert (partial.json()["status"], reference) == ("pending", next(iter(paypal.refunds)))
    assert paypal.calls("refund")[0].json()["custom_id"] == partial.json()["id"]
    deliver(s, *paypal.webhook("PAYMENT.CAPTURE.REFUNDED", paypal.settle_refund(reference)))
    after_partial = s.payment(pid)
    assert (after_partial["status"], after_partial["amount_refunded"]) == ("partially_refunded", 2_500)

    # The rest PayPal completes at once; its webhook arrives after and changes nothing.
    paypal.refund_status = "COMPLETED"
    rest = s.refund(pid)
    assert rest.status_code == 202, rest.text
    assert (rest.json()["amount"], rest.json()["status"]) == (7_500, "succeeded")
    late_refund = deliver(
        s, *paypal.webhook("PAYMENT.CAPTURE.REFUNDED", paypal.refund(rest.json()["provider_reference"]))
    )
    assert s.inbox(late_refund["id"])[0] == "ignored"
    refunded = s.payment(pid)
    assert (refunded["status"], refunded["amount_refunded"]) == ("refunded", 10_000)
    assert len(paypal.calls("token")) == 1  # one OAuth token for every call of the whole flow

    trail = s.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    assert [(e["type"], e["to_status"], e["source"]) for e in trail] == [
        ("payment.initiated", "processing", "api"),
        ("payment.checkout_session_created", "processing", "api"),
        ("payment.succeeded", "succeeded", "webhook"),
        ("refund.requested", "succeeded", "admin"),
        ("refund.submitted", "succeeded", "admin"),
        ("refund.succeeded", "succeeded", "webhook"),
        ("payment.partially_refunded", "partially_refunded", "webhook"),
        ("refund.requested", "partially_refunded", "admin"),
        ("refund.submitted", "partially_refunded", "admin"),
        ("refund.succeeded", "partially_refunded", "admin"),
        ("payment.refunded", "refunded", "admin"),
    ]
    succeeded = trail[2]
    assert (succeeded["actor"], succeeded["provider_event_id"]) == ("paypal", json.loads(approved[0])["id"])


def test_forged_and_unverifiable_deliveries_are_never_applied(
    server: LiveServer, paypal: FakePayPal, database_url: str
) -> None:
    s = server
    payment = s.checkout("order-pp-forged", 5_000, "USD").json()
    order_id = payment["provider_reference"]
    body, headers = paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.approve(order_id))

    missing = {k: v for k, v in headers.items() if k != "PAYPAL-TRANSMISSION-SIG"}
    problem = s.http.post("/api/v1/webhooks/paypal", content=body, headers=missing)
    assert (problem.status_code, problem.json()["type"].rsplit("/", 1)[1]) == (400, "invalid-signature")

    forged = deliver(s, body, sign_webhook(body, new_key()))  # stored first, refused by PayPal's verdict
    status, reason = s.inbox(forged["id"])
    assert status == "failed"
    assert reason is not None
    assert "FAILURE" in reason
    assert paypal.calls("capture") == []
    assert s.payment(pid := payment["id"])["status"] == "processing"

    # PayPal's genuine delivery of another event for the same order still goes through.
    genuine = deliver(s, *paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.order(order_id)))
    assert s.inbox(genuine["id"]) == ("processed", None)
    assert s.payment(pid)["status"] == "succeeded"


def test_paypal_timing_out_never_leaves_a_silent_payment_nor_a_second_refund(
    server: LiveServer, paypal: FakePayPal
) -> None:
    s = server
    paypal.delay("create_order", SLOW)
    timed_out = s.checkout("order-pp-slow", 3_000, "USD")
    assert timed_out.status_code == 503, timed_out.text
    assert timed_out.json()["type"].endswith("/problems/provider-unavailable")
    assert timed_out.headers["retry-after"]
    stuck = s.get("/api/v1/orders/order-pp-slow/payment-status", key="orders").json()
    assert stuck["status"] == "processing"  # visible, and the janitor/the client's retry pick it up

    paypal.delay("create_order", 0)
    retried = s.checkout("order-pp-slow", 3_000, "USD")
    assert retried.status_code == 200, retried.text
    assert retried.json()["id"] == stuck["payment_id"]
    assert len(paypal.orders) == 1  # the retry carried the same PayPal-Request-Id: the same order
    assert retried.json()["provider_reference"] == next(iter(paypal.orders))

    pid, order_id = retried.json()["id"], retried.json()["provider_reference"]
    deliver(s, *paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.approve(order_id)))
    assert s.payment(pid)["status"] == "succeeded"

    paypal.delay("refund", SLOW)
    key = f"refund-{uuid.uuid4().hex}"
    first = s.refund(pid, idempotency_key=key, amount=1_000)
    again = s.refund(pid, idempotency_key=key, amount=1_000)
    assert (first.status_code, again.status_code) == (202, 202)
    assert (first.json()["status"], again.json()["id"]) == ("pending", first.json()["id"])
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(paypal.calls("refund")) == 1  # PayPal made the refund once; we never sent it twice
    assert paypal.calls("refund")[0].headers["paypal-request-id"] == f"refund-{first.json()['id']}"


def test_a_correctly_signed_unreadable_event_is_malformed_and_nothing_stored(
    server: LiveServer, paypal: FakePayPal
) -> None:
    s = server
    payment = s.checkout("order-pp-malformed", 5_000, "USD").json()
    body, headers = paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.approve(payment["provider_reference"]))
    event = json.loads(body)
    unreadable = [
        *NOT_AN_EVENT,
        json.dumps({k: v for k, v in event.items() if k != "event_type"}).encode(),  # no type
        json.dumps({**event, "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {"amount": 5}}).encode(),
        with_event_id(body, LONG_EVENT_ID),
    ]
    signed = [(raw, sign_webhook(raw, paypal.pki.leaf_key, webhook_id=paypal.webhook_id)) for raw in unreadable]
    assert_malformed(s, "paypal", signed)

    unsigned = {k: v for k, v in headers.items() if k != "PAYPAL-TRANSMISSION-SIG"}
    assert_refused(s.http.post("/api/v1/webhooks/paypal", content=body, headers=unsigned), "invalid-signature")
    assert stored_webhooks(s) == 0
    assert paypal.calls("capture") == []
