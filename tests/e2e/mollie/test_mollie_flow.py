"""Mollie end to end over real HTTP, on SQLite and on Postgres: the service talks to a fake Mollie (its v2 wire
format: exact decimal amounts, HAL links, Idempotency-Key), and the fake's webhooks (`id=tr_…`, unsigned) come
back to the service's webhook route, where nothing in them is believed: the service fetches what Mollie says.

check out in EUR → the customer pays → webhook → fetched → refund in two steps, settled by the payment's webhook;
a forged id, someone else's payment, a status that moved backwards, a refund that failed, a duplicate webhook,
and Mollie timing out at checkout and at refund.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import TWO_STEP_REFUND_TRAIL, LiveServer
from tests.provider_fakes.mollie import FakeMollie

SLOW = 1.25  # seconds: longer than the service's provider timeout (1 s)
GET_PAYMENT, CREATE_PAYMENT, CREATE_REFUND = "get_payment", "create_payment", "create_refund"  # the fake's names


def notify(s: LiveServer, mollie: FakeMollie, tr_id: str) -> dict[str, Any]:
    delivered = mollie.deliver(f"{s.base_url}/api/v1/webhooks/mollie", tr_id)
    assert delivered.status_code == 200, delivered.text
    answer: dict[str, Any] = delivered.json()
    return answer


def checkout(s: LiveServer, order_id: str, amount: int = 10_000) -> dict[str, Any]:
    created = s.checkout(order_id, amount, "EUR", provider="mollie", description=f"Order {order_id}")
    assert created.status_code == 201, created.text
    payment: dict[str, Any] = created.json()
    return payment


def paid(s: LiveServer, mollie: FakeMollie, order_id: str, amount: int = 10_000) -> dict[str, Any]:
    payment = checkout(s, order_id, amount)
    mollie.set_payment_status(payment["provider_reference"], "paid")
    notify(s, mollie, payment["provider_reference"])
    assert s.payment(payment["id"])["status"] == "succeeded"
    return payment


def test_checkout_pay_refund_in_two_steps(server: LiveServer, mollie: FakeMollie) -> None:
    s = server
    payment = checkout(s, "order-mo")
    pid, tr_id = payment["id"], payment["provider_reference"]
    assert tr_id.startswith("tr_")
    assert payment["checkout_url"] == mollie.payments[tr_id].as_json("")["_links"]["checkout"]["href"]
    [created] = mollie.calls_to(CREATE_PAYMENT)
    assert created.body["amount"] == {"currency": "EUR", "value": "100.00"}  # exact decimals, never a float
    assert created.body["metadata"]["payment_id"] == pid
    assert created.body["webhookUrl"] == f"{s.base_url}/api/v1/webhooks/mollie"
    assert created.headers["idempotency-key"] == pid

    mollie.set_payment_status(tr_id, "paid")
    first = notify(s, mollie, tr_id)
    assert (first["duplicate"], s.payment(pid)["status"]) == (False, "succeeded")
    assert notify(s, mollie, tr_id)["duplicate"] is True  # Mollie's retry: nothing new was learned
    assert mollie.count(GET_PAYMENT) == 2  # each webhook asked, and believed only the answer

    partial = s.refund(pid, amount=2_500)
    assert partial.status_code == 202, partial.text
    first_refund = partial.json()
    assert (first_refund["status"], first_refund["provider_reference"][:3]) == ("pending", "re_")
    [refund_call] = mollie.calls_to(CREATE_REFUND)
    assert refund_call.body["amount"] == {"currency": "EUR", "value": "25.00"}
    assert refund_call.headers["idempotency-key"] == first_refund["id"]
    mollie.set_refund_status(first_refund["provider_reference"], "refunded")
    notify(s, mollie, tr_id)  # one webhook for every change of the payment or of its refunds
    after_partial = s.payment(pid)
    assert (after_partial["status"], after_partial["amount_refunded"]) == ("partially_refunded", 2_500)

    rest = s.refund(pid)
    assert rest.status_code == 202, rest.text
    mollie.set_refund_status(rest.json()["provider_reference"], "refunded")
    notify(s, mollie, tr_id)
    refunded = s.payment(pid)
    assert (refunded["status"], refunded["amount_refunded"]) == ("refunded", 10_000)
    trail = [
        (e["type"], e["to_status"], e["source"])
        for e in s.get(f"/api/v1/payments/{pid}/events", key="admin").json()["data"]
    ]
    assert trail == TWO_STEP_REFUND_TRAIL


def test_an_id_that_is_not_ours_is_answered_and_nothing_is_fetched(server: LiveServer, mollie: FakeMollie) -> None:
    forged = notify(server, mollie, "tr_ForgedByAnyone123")
    assert (forged["id"], forged["duplicate"]) == (None, False)
    assert mollie.count(GET_PAYMENT) == 0  # the endpoint cannot be used to make us call Mollie at will


def test_a_body_that_names_no_mollie_payment_is_malformed(server: LiveServer) -> None:
    answer = server.http.post(
        "/api/v1/webhooks/mollie",
        content=b"id=pay_not_a_mollie_id",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400
    assert answer.json()["type"].endswith("/problems/malformed-webhook")


def test_someone_elses_payment_at_mollie_is_never_applied(server: LiveServer, mollie: FakeMollie) -> None:
    """Our tr_… now answers with another payment's metadata (a key shared with another shop): not believed."""
    payment = checkout(server, "order-theirs")
    tr_id = payment["provider_reference"]
    mollie.payments[tr_id].metadata = {"payment_id": "pay_somebody_else"}
    mollie.set_payment_status(tr_id, "paid")

    notify(server, mollie, tr_id)

    assert server.payment(payment["id"])["status"] == "processing"


def test_a_status_that_moved_backwards_changes_nothing(server: LiveServer, mollie: FakeMollie) -> None:
    payment = paid(server, mollie, "order-backwards")
    mollie.set_payment_status(payment["provider_reference"], "failed")  # what a confused upstream might say

    answer = notify(server, mollie, payment["provider_reference"])

    assert server.payment(payment["id"])["status"] == "succeeded"
    assert server.inbox(answer["id"])[0] == "ignored"


def test_a_refund_that_failed_releases_its_amount(server: LiveServer, mollie: FakeMollie) -> None:
    payment = paid(server, mollie, "order-refund-fails")
    refund = server.refund(payment["id"], amount=4_000).json()
    mollie.set_refund_status(refund["provider_reference"], "failed")

    notify(server, mollie, payment["provider_reference"])

    after = server.payment(payment["id"])
    assert [(r["id"], r["status"]) for r in after["refunds"]] == [(refund["id"], "failed")]
    assert (after["status"], after["amount_refunded"]) == ("succeeded", 0)
    assert server.refund(payment["id"]).json()["amount"] == 10_000  # all of it is refundable again


def test_a_checkout_that_times_out_is_asked_again_with_the_same_key(server: LiveServer, mollie: FakeMollie) -> None:
    mollie.delay(SLOW, CREATE_PAYMENT)
    timed_out = server.checkout("order-slow", 10_000, "EUR", provider="mollie")
    assert timed_out.status_code == 503, timed_out.text
    assert timed_out.json()["type"].endswith("/problems/provider-unavailable")

    again = server.checkout("order-slow", 10_000, "EUR", provider="mollie")

    assert again.status_code == 200, again.text  # the same payment, handed back
    keys = {call.headers["idempotency-key"] for call in mollie.calls_to(CREATE_PAYMENT)}
    assert keys == {again.json()["id"]}
    assert len(mollie.payments) == 1  # Mollie made one payment for both attempts


def test_a_refund_that_times_out_stays_pending_and_is_never_sent_again(server: LiveServer, mollie: FakeMollie) -> None:
    payment = paid(server, mollie, "order-slow-refund")
    mollie.delay(SLOW, CREATE_REFUND)

    answered = server.refund(payment["id"], amount=1_000)

    assert answered.status_code == 202, answered.text
    assert answered.json()["status"] == "pending"
    assert mollie.count(CREATE_REFUND) == 1
    later = server.post("/api/v1/reconciliation/runs", key="admin")
    assert later.status_code == 200, later.text
    assert mollie.count(CREATE_REFUND) == 1  # the janitor asks about it; it never sends it again
