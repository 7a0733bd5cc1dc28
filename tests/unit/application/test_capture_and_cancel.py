"""Authorize now, capture later; cancel and void; paid after cancel: the use cases through the bus, with fakes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from application.commands.cancel_payment import CancelPayment
from application.commands.capture_payment import CapturePayment
from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.commands.refund_payment import RefundPayment
from application.data.provider_news import EventAction, ProviderEvent
from application.errors import CaptureNotSupported, CheckoutAlreadyCompleted, ProviderError, ProviderUnavailable
from application.worker.relay_outbox import PAID_AFTER_CANCEL_NOTE, RelayOutbox
from application.worker.run_janitor import RunJanitor
from application.worker.worker_config import PaidAfterCancel
from domain.payments.errors import (
    CaptureExceedsAuthorized,
    PaymentNotCancellable,
    PaymentNotCapturable,
    RefundExceedsRefundable,
)
from domain.payments.payment import CaptureMode, Payment
from domain.payments.status import PaymentStatus
from tests.unit.fakes import FakeOutbox, FakeProvider, Harness, fake_root, harness, webhook

A = EventAction
S = PaymentStatus


async def held(h: Harness, order: str = "order-1", amount: int = 10_000) -> str:
    """A manual-capture checkout the customer approved: authorized, nothing taken."""
    result = await h.send(CheckoutOrder(order, amount, "EUR", capture=CaptureMode.MANUAL))
    assert result.payment.capture == "manual"
    headers, body = webhook(f"evt_auth_{order}", A.PAYMENT_AUTHORIZED, result.payment.id, amount=amount, currency="EUR")
    assert (await h.send(HandleProviderWebhook("fake", headers, body))).status == "processed"
    return result.payment.id


async def test_a_manual_checkout_ends_authorized_with_the_whole_amount_capturable() -> None:
    h = harness()
    pid = await held(h)

    stored = h.store.payment(pid)
    assert (stored.status, stored.amount_capturable.amount, stored.capture_pending) == (S.AUTHORIZED, 10_000, False)
    assert [row.event for row in h.store.audit if row.payment_id == pid][-1] == "payment.authorized"


async def test_a_partial_capture_takes_part_and_refunds_stop_at_what_was_taken() -> None:
    h = harness()
    pid = await held(h)
    asked: list[tuple[S, bool]] = []
    h.provider.on_capture = lambda p: asked.append(
        (h.store.payment(p.id).status, h.store.payment(p.id).capture_pending)
    )

    view = await h.send(CapturePayment(pid, 7_000, actor="orders"))

    assert asked == [(S.AUTHORIZED, True)]  # reserved and committed before the provider was asked
    assert h.provider.captures == [(pid, 7_000)]
    assert (view.status, view.amount_captured, view.capture_pending, view.amount_capturable) == (
        "succeeded",
        7_000,
        False,
        0,
    )
    assert h.metrics.of("capture") == {("fake", "succeeded"): 1}
    with pytest.raises(RefundExceedsRefundable):
        await h.send(RefundPayment(pid, 7_001))
    refund = await h.send(RefundPayment(pid, None))
    assert refund.amount == 7_000


async def test_two_concurrent_captures_reach_the_provider_once() -> None:
    h = harness()
    pid = await held(h)
    release = asyncio.Event()

    async def slow(_: Payment) -> None:
        await release.wait()

    h.provider.on_capture = slow
    first = asyncio.create_task(h.send(CapturePayment(pid, None)))
    await asyncio.sleep(0)
    with pytest.raises(PaymentNotCapturable):
        await h.send(CapturePayment(pid, 5_000))
    release.set()

    assert (await first).status == "succeeded"
    assert h.provider.captures == [(pid, 10_000)]


async def test_a_capture_that_times_out_stays_pending_and_is_never_sent_again() -> None:
    h = harness()
    pid = await held(h)
    h.provider.capture_error = ProviderUnavailable("fake", "capture timed out after 10 s")

    view = await h.send(CapturePayment(pid, None))

    assert (view.status, view.capture_pending) == ("authorized", True)
    with pytest.raises(PaymentNotCapturable):
        await h.send(CapturePayment(pid, None))
    assert len(h.provider.captures) == 1
    # the provider's webhook settles it
    headers, body = webhook("evt_captured", A.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="EUR")
    assert (await h.send(HandleProviderWebhook("fake", headers, body))).status == "processed"
    stored = h.store.payment(pid)
    assert (stored.status, stored.amount_captured, stored.capture_pending) == (S.SUCCEEDED, 10_000, False)


async def test_a_capture_the_provider_still_shows_unmade_after_a_while_failed_and_may_be_made_again() -> None:
    h = harness()
    pid = await held(h)
    h.provider.capture_error = ProviderUnavailable("fake", "connection reset")
    await h.send(CapturePayment(pid, 4_000))
    still_held = ProviderEvent("fake", "lookup_held", "lookup", A.PAYMENT_AUTHORIZED, pid, amount=10_000)
    h.provider.payment_lookups[pid] = still_held

    h.clock.advance(minutes=1)
    early = await h.send(RunJanitor())  # perhaps still under way at the provider: wait
    assert (early.changed, h.store.payment(pid).capture_pending) == ((), True)

    h.clock.advance(minutes=5)
    late = await h.send(RunJanitor())  # asked again soon after the answer was due, not hours later

    assert [(c.from_status, c.to_status) for c in late.changed] == [("authorized", "authorized")]
    stored = h.store.payment(pid)
    assert (stored.status, stored.capture_pending, stored.amount_capturable.amount) == (S.AUTHORIZED, False, 10_000)
    assert [row.event for row in h.store.audit if row.payment_id == pid][-1] == "payment.capture_failed"
    h.provider.capture_error = None
    assert (await h.send(CapturePayment(pid, 4_000))).status == "succeeded"
    assert len(h.provider.captures) == 2  # the second only after the first was known not to have happened


async def test_a_refused_capture_leaves_the_hold_to_capture_again() -> None:
    h = harness()
    pid = await held(h)
    h.provider.capture_error = ProviderError("fake", "amount_too_large", 400)

    with pytest.raises(ProviderError):
        await h.send(CapturePayment(pid, 9_000))

    stored = h.store.payment(pid)
    assert (stored.status, stored.capture_pending) == (S.AUTHORIZED, False)
    h.provider.capture_error = None
    assert (await h.send(CapturePayment(pid, 9_000))).status == "succeeded"


async def test_captures_are_refused_when_not_held_or_more_than_held() -> None:
    h = harness()
    automatic = (await h.send(CheckoutOrder("order-a", 10_000, "EUR"))).payment.id
    with pytest.raises(PaymentNotCapturable):
        await h.send(CapturePayment(automatic, None))
    pid = await held(h, "order-b")
    with pytest.raises(CaptureExceedsAuthorized):
        await h.send(CapturePayment(pid, 10_001))
    assert h.provider.captures == []


async def test_a_provider_that_cannot_hold_funds_refuses_a_manual_checkout_before_anything_is_made() -> None:
    h = harness(FakeProvider("paystack-like", holds_funds=False))
    with pytest.raises(CaptureNotSupported):
        await h.send(CheckoutOrder("order-1", 10_000, "EUR", capture=CaptureMode.MANUAL))
    assert (h.store.payments, h.provider.checkouts) == ({}, [])


async def test_without_a_preference_a_manual_checkout_goes_to_a_provider_that_holds_funds() -> None:
    h = harness(FakeProvider("first", holds_funds=False), FakeProvider("second"))
    result = await h.send(CheckoutOrder("order-1", 10_000, "EUR", capture=CaptureMode.MANUAL))
    assert result.payment.provider == "second"


async def test_cancel_voids_a_hold_and_closes_an_open_checkout_and_repeats_harmlessly() -> None:
    h = harness()
    pid = await held(h)
    open_checkout = (await h.send(CheckoutOrder("order-2", 500, "EUR"))).payment.id

    voided = await h.send(CancelPayment(pid, "the order was cancelled", actor="orders"))
    closed = await h.send(CancelPayment(open_checkout))
    again = await h.send(CancelPayment(pid))

    assert (voided.status, closed.status, again.status) == ("cancelled", "cancelled", "cancelled")
    assert h.provider.cancels == [(pid, "authorized"), (open_checkout, "processing")]  # the repeat asked nothing
    assert h.metrics.of("cancel") == {("fake", "cancelled"): 2}


async def test_a_paid_payment_is_not_cancellable_and_the_provider_is_not_asked() -> None:
    h = harness()
    pid = (await h.send(CheckoutOrder("order-1", 10_000, "EUR"))).payment.id
    headers, body = webhook("evt_paid", A.PAYMENT_SUCCEEDED, pid)
    await h.send(HandleProviderWebhook("fake", headers, body))

    with pytest.raises(PaymentNotCancellable):
        await h.send(CancelPayment(pid))
    assert h.provider.cancels == []


async def test_a_checkout_the_customer_completed_before_the_cancel_arrived_is_not_cancellable() -> None:
    """The provider refuses to close a finished checkout whose news has not reached us: refused as not
    cancellable (the payment stays as it is, for the webhook to move), not as a provider failure."""
    h = harness()
    pid = (await h.send(CheckoutOrder("order-1", 10_000, "EUR"))).payment.id
    h.provider.cancel_error = CheckoutAlreadyCompleted("fake", "the checkout is already complete")

    with pytest.raises(PaymentNotCancellable) as refused:
        await h.send(CancelPayment(pid))

    assert "just completed by the customer at the provider" in str(refused.value)
    assert h.store.payment(pid).status is S.PROCESSING
    assert h.provider.cancels == [(pid, "processing")]
    assert h.metrics.of("cancel") == {("fake", "rejected"): 1}


async def test_a_success_after_cancel_makes_the_payment_succeeded_and_says_so() -> None:
    h = harness()
    pid = (await h.send(CheckoutOrder("order-1", 10_000, "EUR"))).payment.id
    await h.send(CancelPayment(pid))
    again = await h.send(CheckoutOrder("order-1", 10_000, "EUR"))  # the order starts over after the cancel
    assert again.created

    headers, body = webhook("evt_late", A.PAYMENT_SUCCEEDED, pid)
    assert (await h.send(HandleProviderWebhook("fake", headers, body))).status == "processed"

    stored = h.store.payment(pid)
    assert (stored.status, stored.paid_after_cancel) == (S.SUCCEEDED, True)
    [late] = [row for row in h.store.audit if row.payment_id == pid and row.event == "payment.succeeded"]
    assert (late.from_status, late.data["paid_after_cancel"]) == ("cancelled", True)


async def test_the_janitor_settles_a_capture_that_timed_out_and_never_expires_it_meanwhile() -> None:
    h = harness()
    pid = await held(h)
    h.provider.capture_error = ProviderUnavailable("fake", "capture timed out after 10 s")
    await h.send(CapturePayment(pid, 6_000))
    h.clock.advance(days=30)  # far past any deadline: a capture that may have happened is still not expired

    assert (await h.send(RunJanitor())).changed == ()
    assert h.store.payment(pid).status is S.AUTHORIZED
    h.provider.payment_lookups[pid] = ProviderEvent(
        "fake", "lookup_captured", "fake.captured", A.PAYMENT_SUCCEEDED, pid, amount=6_000, currency="EUR"
    )
    h.clock.advance(days=1)
    report = await h.send(RunJanitor())

    assert [(c.from_status, c.to_status) for c in report.changed] == [("authorized", "succeeded")]
    stored = h.store.payment(pid)
    assert (stored.amount_captured, stored.capture_pending) == (6_000, False)
    assert len(h.provider.captures) == 1  # asked about, never captured again


async def test_a_hold_the_provider_let_lapse_is_expired_by_the_janitor_and_told() -> None:
    h = harness()
    result = await h.send(CheckoutOrder("order-1", 10_000, "EUR", capture=CaptureMode.MANUAL))
    pid = result.payment.id
    hold_end = h.clock.now() + timedelta(days=7)
    headers, body = webhook("evt_auth", A.PAYMENT_AUTHORIZED, pid, amount=10_000, currency="EUR")
    await h.send(HandleProviderWebhook("fake", headers, body))
    h.store.payments[pid].expires_at = hold_end  # as a provider's authorization event states it
    h.clock.set(hold_end + timedelta(hours=1))

    h.provider.cancel_error = ProviderUnavailable("fake", "timed out")
    first = await h.send(RunJanitor())
    assert (first.changed, h.store.payment(pid).status) == ((), S.AUTHORIZED)  # not released: asked next pass
    assert len(first.errors) == 1
    h.provider.cancel_error = None
    h.clock.advance(hours=1)  # the next check comes when the hold's rescheduled check is due

    report = await h.send(RunJanitor())

    assert [(c.from_status, c.to_status) for c in report.changed] == [("authorized", "expired")]
    # the hold is voided at the provider before it is called expired (a PayPal authorization outlives its honor
    # period by weeks)
    assert h.provider.cancels[-1] == (pid, "authorized")
    expired = [row for row in h.store.outbox if row.payment_id == pid and row.event == "payment.expired"]
    assert len(expired) == 1


@pytest.mark.parametrize("refund_automatically", [False, True])
async def test_a_payment_paid_after_cancel_is_refunded_in_full_exactly_once_when_configured(
    refund_automatically: bool,
) -> None:
    h = harness(paid_after_cancel=PaidAfterCancel(refund=refund_automatically))
    pid = (await h.send(CheckoutOrder("order-1", 10_000, "EUR"))).payment.id
    await h.send(CancelPayment(pid))
    headers, body = webhook("evt_late", A.PAYMENT_SUCCEEDED, pid)
    await h.send(HandleProviderWebhook("fake", headers, body))

    await h.send(RelayOutbox("w1"))
    # every message relayed once more, as after a worker died before marking them: at least once
    again = fake_root(
        h.store, h.providers, outbox=FakeOutbox(h.store), paid_after_cancel=PaidAfterCancel(refund_automatically)
    )
    await again.bus().send(RelayOutbox("w2"))

    refunds = h.store.payment(pid).refunds
    if refund_automatically:
        assert [(r.amount.amount, r.note) for r in refunds] == [(10_000, PAID_AFTER_CANCEL_NOTE)]
        assert len(h.provider.refunds) == 1
    else:
        assert (refunds, h.provider.refunds) == ([], [])
