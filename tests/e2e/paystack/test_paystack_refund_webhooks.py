"""Paystack's refund webhooks settle our refund the moment they arrive, on SQLite and on Postgres (and a charge
whose webhook never came is pulled back from Paystack's transaction list by the janitor).

Paystack's `refund.processed` / `refund.failed` name the transaction (`transaction_reference`), the amount and the
processor's `refund_reference`, often not the refund's own id (PROVIDERS.md): the fake sends them that way,
signed with HMAC-SHA512 over the raw body, to the webhook route. No worker runs in these servers, so a refund that
settles here settled on the webhook, not through the janitor; and Paystack is never asked about the refund.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.e2e.conftest import LiveServer
from tests.e2e.paystack.conftest import SLOW, webhook
from tests.provider_fakes.paystack import FakePaystack


def paid(s: LiveServer, paystack: FakePaystack, order_id: str) -> str:
    created = s.checkout(order_id, 10_000, "NGN", provider="paystack")
    assert created.status_code == 201, created.text
    reference = created.json()["provider_reference"]
    paystack.pay(reference)
    webhook(s, paystack, paystack.charge_success(reference))
    assert s.payment(created.json()["id"])["status"] == "succeeded"
    payment_id: str = created.json()["id"]
    return payment_id


def refund(s: LiveServer, payment_id: str, amount: int) -> dict[str, Any]:
    answer = s.refund(payment_id, amount=amount)
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == "pending"
    return body


def paystack_refund_of(paystack: FakePaystack, amount: int) -> int:
    [found] = [r.id for r in paystack.refunds.values() if r.amount == amount]
    return found


def refunds(s: LiveServer, payment_id: str) -> dict[str, str]:
    return {r["id"]: r["status"] for r in s.payment(payment_id)["refunds"]}


def test_two_pending_refunds_of_different_amounts_settle_as_their_webhooks_arrive(
    server: LiveServer, paystack: FakePaystack
) -> None:
    s = server
    pid = paid(s, paystack, "order-two-refunds")
    small, large = refund(s, pid, 3_000), refund(s, pid, 5_000)

    pending = webhook(s, paystack, paystack.refund_event(paystack_refund_of(paystack, 5_000), "refund.pending"))
    assert s.inbox(pending["id"])[0] == "ignored"  # news, not a verdict
    # the larger one is processed first, its amount as a string; the body names no refund id
    processed = paystack.refund_event(paystack_refund_of(paystack, 5_000), amount_as_string=True)
    assert webhook(s, paystack, processed)["duplicate"] is False
    assert refunds(s, pid) == {small["id"]: "pending", large["id"]: "succeeded"}
    assert s.payment(pid)["status"] == "partially_refunded"
    assert webhook(s, paystack, processed)["duplicate"] is True  # Paystack's retry changes nothing
    assert refunds(s, pid) == {small["id"]: "pending", large["id"]: "succeeded"}

    failed = paystack.refund_event(paystack_refund_of(paystack, 3_000), "refund.failed", amount_as_string=False)
    receipt = webhook(s, paystack, failed)
    assert s.inbox(receipt["id"])[0] == "processed"
    after = s.payment(pid)
    assert refunds(s, pid) == {small["id"]: "failed", large["id"]: "succeeded"}
    assert (after["status"], after["amount_refunded"]) == ("partially_refunded", 5_000)
    late = webhook(s, paystack, paystack.refund_event(paystack_refund_of(paystack, 5_000), "refund.failed"))
    assert s.inbox(late["id"])[0] == "ignored"  # out of order for a refund already processed
    assert refunds(s, pid)[large["id"]] == "succeeded"
    # settled as the webhooks arrived: each final one confirmed against the transaction's refund list, no lookup
    assert {call.path for call in paystack.calls_to("GET", "/refund")} == {"/refund"}
    assert len(paystack.calls_to("GET", "/refund")) == 3

    trail = s.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    settled = [(e["type"], e["source"]) for e in trail if e["type"] in ("refund.succeeded", "refund.failed")]
    assert settled == [("refund.succeeded", "webhook"), ("refund.failed", "webhook")]


def test_refunds_of_the_same_amount_settle_oldest_first_one_webhook_each(
    server: LiveServer, paystack: FakePaystack
) -> None:
    s = server
    pid = paid(s, paystack, "order-equal-refunds")
    first, second = refund(s, pid, 2_500), refund(s, pid, 2_500)
    older, newer = sorted(r.id for r in paystack.refunds.values())

    webhook(s, paystack, paystack.refund_event(older))
    assert refunds(s, pid) == {first["id"]: "succeeded", second["id"]: "pending"}
    assert webhook(s, paystack, paystack.refund_event(older))["duplicate"] is True
    assert refunds(s, pid) == {first["id"]: "succeeded", second["id"]: "pending"}
    webhook(s, paystack, paystack.refund_event(newer, amount_as_string=False))
    assert refunds(s, pid) == {first["id"]: "succeeded", second["id"]: "succeeded"}
    assert (s.payment(pid)["status"], s.payment(pid)["amount_refunded"]) == ("partially_refunded", 5_000)


def test_paystack_processing_the_newer_of_two_equal_refunds_first_settles_that_one(
    server: LiveServer, paystack: FakePaystack
) -> None:
    s = server
    pid = paid(s, paystack, "order-newer-first")
    older, newer = refund(s, pid, 2_500), refund(s, pid, 2_500)
    paystack_older, paystack_newer = sorted(paystack.refunds)

    webhook(s, paystack, paystack.refund_event(paystack_newer))  # no refund id: only Paystack's list tells which

    assert refunds(s, pid) == {older["id"]: "pending", newer["id"]: "succeeded"}
    webhook(s, paystack, paystack.refund_event(paystack_older, "refund.failed"))
    assert refunds(s, pid) == {older["id"]: "failed", newer["id"]: "succeeded"}


def test_when_paystack_cannot_list_refunds_the_webhook_still_settles_by_amount(
    server: LiveServer, paystack: FakePaystack
) -> None:
    s = server
    pid = paid(s, paystack, "order-list-down")
    mine = refund(s, pid, 3_000)
    paystack.fail(503, path="/refund")  # the confirmation's list call

    receipt = webhook(s, paystack, paystack.refund_event(paystack_refund_of(paystack, 3_000)))

    assert s.inbox(receipt["id"])[0] == "processed"
    assert refunds(s, pid) == {mine["id"]: "succeeded"}


def test_a_refund_whose_answer_was_lost_settles_on_its_webhook(server: LiveServer, paystack: FakePaystack) -> None:
    s = server
    pid = paid(s, paystack, "order-lost-refund-answer")
    paystack.delay(SLOW, path="/refund")
    started = time.monotonic()
    lost = refund(s, pid, 4_000)
    assert lost["provider_reference"] is None  # Paystack queued it; we never heard its id
    time.sleep(max(0.0, started + SLOW + 0.1 - time.monotonic()))

    webhook(s, paystack, paystack.refund_event(paystack_refund_of(paystack, 4_000), with_id=True))
    assert refunds(s, pid) == {lost["id"]: "succeeded"}
    assert len(paystack.calls_to("POST", "/refund")) == 1


def test_news_of_a_refund_we_do_not_have_is_kept_for_a_retry(server: LiveServer, paystack: FakePaystack) -> None:
    s = server
    pid = paid(s, paystack, "order-foreign-refund")
    mine = refund(s, pid, 2_000)
    paystack.refunds[paystack_refund_of(paystack, 2_000)].amount = 1_999  # made on the dashboard, say
    receipt = webhook(s, paystack, paystack.refund_event(paystack_refund_of(paystack, 1_999)))
    status, reason = s.inbox(receipt["id"])
    assert status == "failed"
    assert reason is not None
    assert reason.endswith("(yet)")
    assert refunds(s, pid) == {mine["id"]: "pending"}


def test_concurrent_webhooks_for_two_equal_refunds_settle_each_once(server: LiveServer, paystack: FakePaystack) -> None:
    s = server
    pid = paid(s, paystack, "order-concurrent-refunds")
    mine = [refund(s, pid, 2_000)["id"] for _ in range(3)]
    bodies = [paystack.refund_event(r) for r in sorted(paystack.refunds)]
    with ThreadPoolExecutor(max_workers=6) as pool:  # every event twice, all at once
        answers = list(pool.map(lambda body: webhook(s, paystack, body), bodies + bodies))
    assert sorted(a["duplicate"] for a in answers) == [False] * 3 + [True] * 3
    assert refunds(s, pid) == dict.fromkeys(mine, "succeeded")
    after = s.payment(pid)
    assert (after["status"], after["amount_refunded"]) == ("partially_refunded", 6_000)


def test_a_charge_whose_webhook_never_came_is_settled_by_the_janitor_from_paystacks_list(
    server: LiveServer, paystack: FakePaystack
) -> None:
    s = server
    delivered = paid(s, paystack, "order-charge-delivered")
    created = s.checkout("order-charge-silent", 10_000, "NGN", provider="paystack")
    silent, reference = created.json()["id"], created.json()["provider_reference"]
    transaction = paystack.pay(reference)  # Paystack's charge.success for it never reaches us

    run = s.post("/api/v1/reconciliation/runs", key="admin").json()

    assert (run["pulled_events"], run["new_events"], run["errors"]) == (2, 1, [])  # the delivered one: duplicate
    assert s.payment(silent)["status"] == "succeeded"
    assert s.payment(delivered)["status"] == "succeeded"
    assert s.inbox_by_event("paystack", f"charge.success:{transaction.id}:success") == ("processed", None)
    late = webhook(s, paystack, paystack.charge_success(reference))  # Paystack's retry finally gets through
    assert late["duplicate"] is True
