"""Refunds: pending and succeeded refunds together never exceed what was paid; the payment follows its refunds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.payments import events as ev
from domain.payments.errors import (
    InvalidAmount,
    PaymentNotRefundable,
    RefundExceedsRefundable,
    RefundNotFound,
    TransitionNotAllowed,
)
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import RefundReason
from domain.payments.status import PaymentStatus, RefundStatus
from domain.shared.money import Money

S, RS = PaymentStatus, RefundStatus
T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
AT = T0 + timedelta(hours=1)
REASON = RefundReason.REQUESTED_BY_CUSTOMER


def paid(amount: int, currency: str = "USD") -> Payment:
    payment = Payment.initiate("pay_1", "order-1", Money.of(amount, currency), "fake", CheckoutDetails(), T0)
    payment.succeed(T0)
    payment.pull_events()
    return payment


def with_refunds(amount: int, refunds: list[tuple[int, RefundStatus]]) -> Payment:
    """A paid payment with earlier refunds in the given statuses, reached through the aggregate's methods."""
    payment = paid(amount)
    for n, (refund_amount, status) in enumerate(refunds):
        refund_id = f"re_{n}"
        payment.request_refund(refund_id, refund_amount, REASON, None, T0)
        if status is RS.SUCCEEDED:
            payment.settle_refund_succeeded(refund_id, T0)
        elif status is RS.FAILED:
            payment.settle_refund_failed(refund_id, "declined", T0)
    payment.pull_events()
    return payment


PENDING, SUCCEEDED, FAILED = RS.PENDING, RS.SUCCEEDED, RS.FAILED


@pytest.mark.parametrize(
    ("paid_amount", "refunds", "asked", "allowed"),
    [
        (10_000, [], 10_000, True),
        (10_000, [], 10_001, False),
        (10_000, [], 1, True),
        (10_000, [(6_000, SUCCEEDED)], 4_000, True),
        (10_000, [(6_000, SUCCEEDED)], 5_000, False),
        (10_000, [(6_000, PENDING)], 4_000, True),
        (10_000, [(6_000, PENDING)], 4_001, False),  # a pending refund holds its funds
        (10_000, [(6_000, FAILED)], 10_000, True),  # a failed refund releases them
        (10_000, [(6_000, FAILED)], 10_001, False),
        (10_000, [(3_000, SUCCEEDED), (3_000, PENDING), (3_000, FAILED)], 4_000, True),
        (10_000, [(3_000, SUCCEEDED), (3_000, PENDING), (3_000, FAILED)], 4_001, False),
        (10_000, [(9_999, PENDING)], 1, True),
        (10_000, [(9_999, PENDING)], 2, False),
        (10_000, [(10_000, PENDING)], 1, False),
    ],
)
def test_refunds_never_exceed_the_amount(
    paid_amount: int, refunds: list[tuple[int, RefundStatus]], asked: int, allowed: bool
) -> None:
    payment = with_refunds(paid_amount, refunds)
    held = sum(a for a, s in refunds if s is not FAILED)
    assert payment.refundable == Money.of(paid_amount - held, "USD")
    if allowed:
        refund = payment.request_refund("re_new", asked, REASON, None, AT)
        assert (refund.amount, refund.status) == (Money.of(asked, "USD"), RS.PENDING)
        assert payment.refundable == Money.of(paid_amount - held - asked, "USD")
    else:
        status_before, refunds_before = payment.status, list(payment.refunds)
        with pytest.raises(RefundExceedsRefundable) as refused:
            payment.request_refund("re_new", asked, REASON, None, AT)
        assert refused.value.requested == Money.of(asked, "USD")
        assert refused.value.refundable == Money.of(paid_amount - held, "USD")
        assert (payment.status, payment.refunds, payment.pending_events) == (status_before, refunds_before, ())


def test_no_amount_means_all_that_remains() -> None:
    payment = with_refunds(10_000, [(2_500, SUCCEEDED), (1_500, PENDING), (4_000, FAILED)])
    refund = payment.request_refund("re_rest", None, REASON, "customer asked", AT)
    assert refund.amount == Money.of(6_000, "USD")
    assert refund.note == "customer asked"
    assert payment.refundable == Money.of(0, "USD")


def test_no_amount_with_nothing_left_is_refused() -> None:
    payment = with_refunds(10_000, [(10_000, PENDING)])
    with pytest.raises(RefundExceedsRefundable) as refused:
        payment.request_refund("re_rest", None, REASON, None, AT)
    assert refused.value.refundable == Money.of(0, "USD")
    assert "Nothing remains refundable" in str(refused.value)
    assert len(payment.refunds) == 1


@pytest.mark.parametrize("amount", [0, -1, -10_000])
def test_a_refund_needs_a_positive_amount(amount: int) -> None:
    payment = paid(10_000)
    with pytest.raises(InvalidAmount) as refused:
        payment.request_refund("re_new", amount, REASON, None, AT)
    assert refused.value.amount == amount
    assert (payment.refunds, payment.pending_events) == ([], ())


def test_the_refund_is_in_the_payments_currency() -> None:
    payment = paid(1_000, "JPY")
    refund = payment.request_refund("re_1", 400, REASON, None, AT)
    assert refund.amount == Money.of(400, "JPY")


def test_requesting_a_refund_reserves_it_and_says_so() -> None:
    payment = paid(10_000)
    refund = payment.request_refund("re_1", 2_500, RefundReason.DUPLICATE, None, AT)
    assert payment.refunds == [refund]
    assert (refund.id, refund.reason, refund.created_at, refund.updated_at) == ("re_1", RefundReason.DUPLICATE, AT, AT)
    assert payment.status is S.SUCCEEDED
    assert payment.amount_refunded == Money.of(0, "USD")  # reserved, not yet returned
    [requested] = payment.pull_events()
    assert requested == ev.RefundRequested(
        payment_id="pay_1",
        order_id="order-1",
        occurred_at=AT,
        from_status=S.SUCCEEDED,
        to_status=S.SUCCEEDED,
        refund_id="re_1",
        amount=2_500,
        currency="USD",
        reason="duplicate",
    )


def test_a_partial_refund_makes_the_payment_partially_refunded() -> None:
    payment = with_refunds(10_000, [(2_500, PENDING)])
    assert payment.settle_refund_succeeded("re_0", AT) is True
    assert payment.status is S.PARTIALLY_REFUNDED
    assert payment.amount_refunded == Money.of(2_500, "USD")
    assert payment.refund("re_0").status is RS.SUCCEEDED
    assert payment.pull_events() == [
        ev.RefundSucceeded(
            payment_id="pay_1",
            order_id="order-1",
            occurred_at=AT,
            from_status=S.SUCCEEDED,
            to_status=S.SUCCEEDED,
            refund_id="re_0",
            amount=2_500,
            currency="USD",
        ),
        ev.PaymentPartiallyRefunded(
            payment_id="pay_1",
            order_id="order-1",
            occurred_at=AT,
            from_status=S.SUCCEEDED,
            to_status=S.PARTIALLY_REFUNDED,
            amount_refunded=2_500,
            currency="USD",
        ),
    ]


def test_refunds_reaching_the_amount_make_the_payment_refunded() -> None:
    payment = with_refunds(10_000, [(4_000, SUCCEEDED), (6_000, PENDING)])
    assert payment.status is S.PARTIALLY_REFUNDED
    payment.settle_refund_succeeded("re_1", AT)
    assert payment.status is S.REFUNDED
    assert payment.amount_refunded == Money.of(10_000, "USD")
    refunded = payment.pull_events()[-1]
    assert isinstance(refunded, ev.PaymentRefunded)
    assert (refunded.from_status, refunded.to_status) == (S.PARTIALLY_REFUNDED, S.REFUNDED)
    assert refunded.data() == {"amount_refunded": 10_000, "currency": "USD"}


def test_a_second_partial_refund_records_the_new_total() -> None:
    payment = with_refunds(10_000, [(1_000, SUCCEEDED), (2_000, PENDING)])
    payment.settle_refund_succeeded("re_1", AT)
    partially = payment.pull_events()[-1]
    assert isinstance(partially, ev.PaymentPartiallyRefunded)
    assert partially.amount_refunded == 3_000
    assert (partially.from_status, partially.to_status) == (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED)


def test_a_failed_refund_releases_its_funds_and_keeps_the_status() -> None:
    payment = with_refunds(10_000, [(7_000, PENDING)])
    assert payment.refundable == Money.of(3_000, "USD")
    assert payment.settle_refund_failed("re_0", "insufficient balance", AT) is True
    assert payment.status is S.SUCCEEDED
    assert payment.refundable == Money.of(10_000, "USD")
    assert payment.amount_refunded == Money.of(0, "USD")
    refund = payment.refund("re_0")
    assert (refund.status, refund.failure_reason, refund.updated_at) == (RS.FAILED, "insufficient balance", AT)
    [failed] = payment.pull_events()
    assert isinstance(failed, ev.RefundFailed)
    assert failed.data() == {"refund_id": "re_0", "amount": 7_000, "currency": "USD", "reason": "insufficient balance"}


def test_refunds_settled_while_disputed_do_not_move_the_status() -> None:
    payment = with_refunds(10_000, [(10_000, PENDING)])
    payment.dispute("fraudulent", T0)
    payment.pull_events()
    assert payment.settle_refund_succeeded("re_0", AT) is True
    assert payment.status is S.DISPUTED
    assert payment.amount_refunded == Money.of(10_000, "USD")
    assert payment.updated_at == AT
    assert [type(e) for e in payment.pull_events()] == [ev.RefundSucceeded]


def test_no_new_refunds_on_a_disputed_payment() -> None:
    payment = paid(10_000)
    payment.dispute("fraudulent", T0)
    with pytest.raises(PaymentNotRefundable) as refused:
        payment.request_refund("re_1", 100, REASON, None, AT)
    assert (refused.value.payment_id, refused.value.status) == ("pay_1", S.DISPUTED)


def test_settling_twice_changes_nothing_and_never_goes_backwards() -> None:
    payment = with_refunds(10_000, [(1_000, SUCCEEDED), (1_000, FAILED)])
    assert payment.settle_refund_succeeded("re_0", AT) is False
    assert payment.settle_refund_failed("re_1", "again", AT) is False
    with pytest.raises(TransitionNotAllowed, match="already succeeded"):
        payment.settle_refund_failed("re_0", "late failure", AT)
    with pytest.raises(TransitionNotAllowed, match="already failed"):
        payment.settle_refund_succeeded("re_1", AT)
    assert [r.status for r in payment.refunds] == [RS.SUCCEEDED, RS.FAILED]
    assert payment.pending_events == ()


def test_a_refund_is_found_by_our_id_or_the_providers_reference() -> None:
    payment = with_refunds(10_000, [(1_000, PENDING)])
    assert payment.mark_refund_submitted("re_0", "fre_9", AT) is True
    assert payment.mark_refund_submitted("re_0", "fre_9", AT) is False
    [submitted] = payment.pull_events()
    assert isinstance(submitted, ev.RefundSubmitted)
    assert submitted.data() == {"refund_id": "re_0", "provider_reference": "fre_9"}
    assert payment.refund("fre_9") is payment.refund("re_0")
    payment.settle_refund_succeeded("fre_9", AT)
    assert payment.refund("re_0").status is RS.SUCCEEDED
    with pytest.raises(RefundNotFound) as missing:
        payment.refund("re_unknown")
    assert (missing.value.payment_id, missing.value.refund_id) == ("pay_1", "re_unknown")
