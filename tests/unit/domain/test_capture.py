"""Authorize now, capture later: what a hold allows, what a (partial) capture takes, what refunds may give back,
and a success that arrives after we cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.payments import events as ev
from domain.payments.errors import CaptureExceedsAuthorized, PaymentNotCapturable, RefundExceedsRefundable
from domain.payments.payment import CaptureMode, CheckoutDetails, Payment
from domain.payments.refund import RefundReason
from domain.payments.status import PaymentStatus
from domain.shared.money import Money

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
S = PaymentStatus


def held(amount: int = 10_000) -> Payment:
    payment = Payment.initiate(
        "pay_1", "order-1", Money.of(amount, "EUR"), "fake", CheckoutDetails(), T0, CaptureMode.MANUAL
    )
    payment.authorize(T0 + timedelta(minutes=1))
    payment.pull_events()
    return payment


def test_an_authorization_holds_the_whole_amount_until_a_capture_is_asked_for() -> None:
    payment = held()
    assert (payment.status, payment.amount_capturable, payment.capture_pending) == (
        S.AUTHORIZED,
        Money.of(10_000, "EUR"),
        False,
    )

    requested = payment.request_capture(7_000, T0 + timedelta(hours=1))

    assert requested == Money.of(7_000, "EUR")
    assert (payment.status, payment.capture_pending, payment.amount_capturable) == (
        S.AUTHORIZED,
        True,
        Money.zero(payment.amount.currency),
    )
    [event] = payment.pull_events()
    assert isinstance(event, ev.CaptureRequested)
    assert event.data() == {"amount": 7_000, "currency": "EUR"}


def test_a_second_capture_is_refused_while_the_first_is_in_flight() -> None:
    payment = held()
    payment.request_capture(None, T0)
    with pytest.raises(PaymentNotCapturable) as refused:
        payment.request_capture(1_000, T0)
    assert refused.value.capture_pending
    assert "capture in progress" in str(refused.value)


def test_a_capture_may_not_take_more_than_the_authorization() -> None:
    with pytest.raises(CaptureExceedsAuthorized):
        held().request_capture(10_001, T0)


def test_a_partial_capture_succeeds_with_what_it_took_and_refunds_stop_there() -> None:
    payment = held()
    payment.request_capture(7_000, T0)
    assert payment.succeed(T0 + timedelta(seconds=5))

    assert (payment.status, payment.amount_captured, payment.capture_pending) == (S.SUCCEEDED, 7_000, False)
    succeeded = [e for e in payment.pull_events() if isinstance(e, ev.PaymentSucceeded)]
    assert [e.data() for e in succeeded] == [{"amount": 7_000, "currency": "EUR"}]
    assert payment.refundable == Money.of(7_000, "EUR")
    with pytest.raises(RefundExceedsRefundable):
        payment.request_refund("re_1", 7_001, RefundReason.OTHER, None, T0)
    payment.request_refund("re_2", None, RefundReason.OTHER, None, T0)
    payment.settle_refund_succeeded("re_2", T0)
    assert (payment.status, payment.amount_refunded) == (S.REFUNDED, Money.of(7_000, "EUR"))


def test_a_refused_capture_leaves_the_authorization_to_capture_again() -> None:
    payment = held()
    payment.request_capture(None, T0)
    assert payment.capture_failed("authorization expired at the bank", T0)
    assert (payment.status, payment.capture_pending, payment.amount_capturable) == (S.AUTHORIZED, False, payment.amount)
    assert [type(e) for e in payment.pull_events()] == [ev.CaptureRequested, ev.CaptureFailed]
    payment.request_capture(5_000, T0)


def test_a_success_after_we_cancelled_still_wins_and_says_so() -> None:
    payment = held()
    payment.cancel("the order was cancelled", T0)
    payment.pull_events()

    assert payment.succeed(T0 + timedelta(seconds=1))

    assert (payment.status, payment.paid_after_cancel, payment.amount_captured) == (S.SUCCEEDED, True, 10_000)
    [event] = payment.pull_events()
    assert isinstance(event, ev.PaymentSucceeded)
    assert (event.from_status, event.data()["paid_after_cancel"]) == (S.CANCELLED, True)


def test_an_automatic_payment_captures_its_whole_amount() -> None:
    payment = Payment.initiate("pay_2", "order-2", Money.of(2_500, "USD"), "fake", CheckoutDetails(), T0)
    payment.succeed(T0, amount=2_500)
    assert (payment.capture, payment.amount_captured, payment.paid_after_cancel) == (
        CaptureMode.AUTOMATIC,
        2_500,
        False,
    )


def test_each_capture_reservation_has_its_own_key_for_the_provider() -> None:
    """A capture asked after a refused one must not reuse the refused one's idempotency key: a provider would
    answer with the stored refusal. The reservation's save bumps the version, which the key carries."""
    payment = held()
    payment.request_capture(4_000, T0)
    payment.version += 1  # what saving the reservation does
    first = payment.capture_key
    assert payment.capture_key == first  # the same reservation, asked again: the same key
    payment.capture_failed("card declined", T0)
    payment.version += 1
    payment.request_capture(4_000, T0)
    payment.version += 1
    assert payment.capture_key != first
