"""The janitor, through the bus with fakes: asks providers about what is stuck and settles it like a webhook."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.commands.checkout_order import CheckoutOrder
from application.commands.refund_payment import RefundPayment
from application.data.cause import Cause
from application.data.provider_news import EventAction, ProviderEvent
from application.errors import ProviderError, ProviderUnavailable
from application.queries.reconciliation_summary import GetReconciliationSummary
from application.worker.janitor_schedule import CHECK_GAPS, DAILY, EXPIRY_GRACE, FIRST_CHECK_AFTER, LEASE, next_gap
from application.worker.run_janitor import RunJanitor
from domain.payments.status import PaymentStatus, RefundStatus
from tests.unit.fakes import SESSION_LIFETIME, T0, FakeJanitorStore, FakeProvider, Harness, harness

S = PaymentStatus


async def open_payment(h: Harness, order_id: str = "order-1", amount: int = 10_000) -> str:
    return (await h.send(CheckoutOrder(order_id, amount, "USD"))).payment.id


def answer(payment_id: str, action: EventAction, event_id: str = "evt_lookup_1", **fields: object) -> ProviderEvent:
    return ProviderEvent(
        provider="fake",
        event_id=event_id,
        event_type=f"fake.lookup.{action.value}",
        action=action,
        payment_id=payment_id,
        **fields,  # type: ignore[arg-type]
    )


async def paid_with_pending_refund(h: Harness, provider: FakeProvider) -> tuple[str, str]:
    pid = await open_payment(h)
    provider.payment_lookups[pid] = answer(pid, EventAction.PAYMENT_SUCCEEDED, amount=10_000, currency="USD")
    h.clock.advance(minutes=6)
    await h.send(RunJanitor())
    refund = await h.send(RefundPayment(pid, 4_000, actor="ops"))
    assert refund.status == "pending"
    return pid, refund.id


def test_the_schedule_grows_from_minutes_to_daily() -> None:
    assert timedelta(minutes=5) == FIRST_CHECK_AFTER
    assert [next_gap(n) for n in (1, 2, 3, 4, 6)] == [
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(hours=6),
        timedelta(hours=6),
    ]
    assert next_gap(len(CHECK_GAPS) + 1) == next_gap(100) == DAILY


async def test_nothing_is_due_before_the_first_check() -> None:
    h = harness()
    await open_payment(h)
    h.clock.advance(minutes=4)

    report = await h.send(RunJanitor())

    assert (report.checked, report.changed, report.errors) == (0, (), ())
    assert h.provider.lookups == []


async def test_a_stuck_payment_the_provider_says_succeeded_is_settled_as_the_worker() -> None:
    h = harness()
    pid = await open_payment(h)
    h.provider.payment_lookups[pid] = answer(pid, EventAction.PAYMENT_SUCCEEDED, amount=10_000, currency="USD")
    h.clock.advance(minutes=5)

    report = await h.send(RunJanitor())

    assert h.store.payment(pid).status is S.SUCCEEDED
    assert (report.checked_payments, report.rescheduled, report.errors) == (1, 0, ())
    [change] = report.changed
    assert (change.payment_id, change.refund_id, change.from_status, change.to_status) == (
        pid,
        None,
        "processing",
        "succeeded",
    )
    row = h.store.audit[-1]
    assert (row.event, row.cause) == ("payment.succeeded", Cause("worker", "janitor", "evt_lookup_1"))
    assert h.store.outbox[-1].event == "payment.succeeded"  # order systems hear of it like of a webhook


async def test_a_run_requested_by_an_admin_records_who_asked() -> None:
    h = harness()
    pid = await open_payment(h)
    h.provider.payment_lookups[pid] = answer(pid, EventAction.PAYMENT_FAILED, reason="card_declined")
    h.clock.advance(minutes=10)

    report = await h.send(RunJanitor(actor="ops-admin"))

    assert [c.to_status for c in report.changed] == ["failed"]
    assert h.store.audit[-1].cause == Cause("worker", "janitor:ops-admin", "evt_lookup_1")


async def test_the_providers_word_goes_through_the_state_machine_and_the_money_checks() -> None:
    h = harness()
    pid = await open_payment(h)
    h.provider.payment_lookups[pid] = answer(pid, EventAction.PAYMENT_SUCCEEDED, amount=1, currency="USD")
    h.clock.advance(minutes=5)

    report = await h.send(RunJanitor())

    assert h.store.payment(pid).status is S.PROCESSING  # a different amount is not about this payment
    assert (report.changed, report.rescheduled) == ((), 1)
    assert h.store.schedule[pid] == (1, h.clock.now() + timedelta(minutes=15))


async def test_when_the_provider_says_nothing_the_payment_is_asked_again_with_growing_gaps() -> None:
    h = harness()
    pid = await open_payment(h)
    h.clock.advance(minutes=5)

    first = await h.send(RunJanitor())

    assert (first.checked, first.rescheduled, first.changed) == (1, 1, ())
    assert h.store.schedule[pid] == (1, h.clock.now() + timedelta(minutes=15))
    h.clock.advance(minutes=14)
    assert (await h.send(RunJanitor())).checked == 0  # not due yet
    h.clock.advance(minutes=1)
    assert (await h.send(RunJanitor())).checked == 1
    assert h.store.schedule[pid] == (2, h.clock.now() + timedelta(hours=1))
    assert h.store.payment(pid).status is S.PROCESSING
    assert h.provider.lookups == [pid, pid]


async def test_a_claimed_payment_is_leased_so_a_second_pass_skips_it() -> None:
    h = harness()
    pid = await open_payment(h)
    h.clock.advance(minutes=5)
    store = FakeJanitorStore(h.store)
    claimed = await store.claim_due_payments(h.clock.now(), first_check_after=FIRST_CHECK_AFTER, lease=LEASE, limit=10)

    assert [d.payment_id for d in claimed] == [pid]
    assert (await h.send(RunJanitor())).checked == 0
    h.clock.advance(minutes=5)
    assert (await h.send(RunJanitor())).checked == 1  # the lease ran out: a dead worker loses nothing


async def test_a_checkout_past_its_expiry_and_grace_is_expired() -> None:
    h = harness()
    pid = await open_payment(h)
    h.clock.set(T0 + SESSION_LIFETIME + EXPIRY_GRACE)

    report = await h.send(RunJanitor())

    assert h.store.payment(pid).status is S.EXPIRED
    assert [(c.payment_id, c.from_status, c.to_status) for c in report.changed] == [(pid, "processing", "expired")]
    assert h.store.audit[-1].event == "payment.expired"
    assert h.store.audit[-1].cause == Cause("worker", "janitor")
    assert h.provider.lookups == [pid]  # asked first: a late success must win over expiry


async def test_within_the_grace_an_expired_checkout_is_only_rescheduled() -> None:
    h = harness()
    pid = await open_payment(h)
    h.clock.set(T0 + SESSION_LIFETIME + timedelta(minutes=1))

    report = await h.send(RunJanitor())

    assert (report.changed, report.rescheduled) == ((), 1)
    assert h.store.payment(pid).status is S.PROCESSING


async def test_a_late_success_past_expiry_is_still_a_success() -> None:
    h = harness()
    pid = await open_payment(h)
    h.provider.payment_lookups[pid] = answer(pid, EventAction.PAYMENT_SUCCEEDED)
    h.clock.set(T0 + timedelta(days=2))

    await h.send(RunJanitor())

    assert h.store.payment(pid).status is S.SUCCEEDED


@pytest.mark.parametrize(
    "error", [ProviderUnavailable("fake", "timeout"), ProviderError("fake", "500 from upstream", 500)]
)
async def test_a_provider_that_cannot_answer_is_asked_again_later_and_the_pass_goes_on(error: Exception) -> None:
    h = harness()
    stuck = await open_payment(h, "order-1")
    other = await open_payment(h, "order-2")
    h.provider.payment_lookups[stuck] = error
    h.provider.payment_lookups[other] = answer(other, EventAction.PAYMENT_SUCCEEDED)
    h.clock.advance(minutes=5)

    report = await h.send(RunJanitor())

    assert [(e.payment_id, e.refund_id) for e in report.errors] == [(stuck, None)]
    assert "fake" in report.errors[0].error
    assert [c.payment_id for c in report.changed] == [other]
    assert h.store.schedule[stuck] == (1, h.clock.now() + timedelta(minutes=15))
    assert h.store.payment(stuck).status is S.PROCESSING


async def test_a_pending_refund_is_settled_by_what_the_provider_reports() -> None:
    h = harness()
    pid, rid = await paid_with_pending_refund(h, h.provider)
    h.provider.refund_lookups[rid] = answer(
        pid, EventAction.REFUND_SUCCEEDED, "evt_refund_1", refund_id=h.provider.refund_reference(rid)
    )
    h.clock.advance(minutes=5)

    report = await h.send(RunJanitor())

    payment = h.store.payment(pid)
    assert payment.refund(rid).status is RefundStatus.SUCCEEDED
    assert payment.status is S.PARTIALLY_REFUNDED
    assert [(c.refund_id, c.from_status, c.to_status) for c in report.changed] == [(rid, "pending", "succeeded")]
    assert h.store.audit[-1].cause == Cause("worker", "janitor", "evt_refund_1")
    assert len(h.provider.refunds) == 1


async def test_a_refund_the_provider_knows_nothing_about_is_never_sent_again() -> None:
    h = harness()
    h.provider.refund_error = ProviderUnavailable("fake", "timeout")  # the call may or may not have arrived
    pid = await open_payment(h)
    h.provider.payment_lookups[pid] = answer(pid, EventAction.PAYMENT_SUCCEEDED)
    h.clock.advance(minutes=6)
    await h.send(RunJanitor())
    refund = await h.send(RefundPayment(pid, 4_000, actor="ops"))
    h.provider.refund_error = None
    assert refund.provider_reference is None

    for minutes in (5, 15, 60, 360):
        h.clock.advance(minutes=minutes)
        report = await h.send(RunJanitor())
        assert (report.checked_refunds, report.rescheduled) == (1, 1)

    assert len(h.provider.refunds) == 1  # asked about four times, sent once
    assert h.provider.lookups.count(refund.id) == 4
    assert h.store.payment(pid).refund(refund.id).status is RefundStatus.PENDING
    assert h.store.schedule[refund.id] == (4, h.clock.now() + timedelta(hours=6))


async def test_a_refund_failure_reported_by_the_provider_frees_the_amount() -> None:
    h = harness()
    pid, rid = await paid_with_pending_refund(h, h.provider)
    h.provider.refund_lookups[rid] = answer(pid, EventAction.REFUND_FAILED, reason="insufficient_funds")
    h.clock.advance(minutes=5)

    await h.send(RunJanitor())

    payment = h.store.payment(pid)
    assert payment.refund(rid).status is RefundStatus.FAILED
    assert payment.refundable.amount == 10_000


async def test_the_reconciliation_window_is_clamped_and_ends_now() -> None:
    h = harness()

    summary = await h.send(GetReconciliationSummary(hours_back=10_000))

    assert (summary.until, summary.since) == (T0, T0 - timedelta(hours=720))
    assert summary.stuck_before == T0 - timedelta(hours=1)
