"""One live payment per order: reuse the open checkout for the same money, refuse other money or a paid order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.payments.checkout_policy import OneLivePaymentPerOrder
from domain.payments.errors import CheckoutConflict, OrderAlreadyPaid
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import RefundReason
from domain.payments.status import PaymentStatus
from domain.shared.money import Money

S = PaymentStatus
T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def existing(status: PaymentStatus, amount: int = 9_999, currency: str = "USD") -> Payment:
    payment = Payment.initiate("pay_1", "order-1", Money.of(amount, currency), "fake", CheckoutDetails(), T0)
    match status:
        case S.PROCESSING:
            pass
        case S.FAILED:
            payment.fail("declined", T0)
        case S.EXPIRED:
            payment.expire(T0)
        case S.CANCELLED:
            payment.cancel("admin", T0)
        case S.SUCCEEDED:
            payment.succeed(T0)
        case S.PARTIALLY_REFUNDED | S.REFUNDED:
            payment.succeed(T0)
            part = 1_000 if status is S.PARTIALLY_REFUNDED else None
            payment.request_refund("re_1", part, RefundReason.OTHER, None, T0)
            payment.settle_refund_succeeded("re_1", T0)
        case S.DISPUTED:
            payment.succeed(T0)
            payment.dispute("fraudulent", T0)
    assert payment.status is status
    return payment


def policy(live: Payment | None, amount: int = 9_999, currency: str = "USD") -> OneLivePaymentPerOrder:
    return OneLivePaymentPerOrder("order-1", Money.of(amount, currency), live)


def test_no_live_payment_lets_a_new_checkout_start() -> None:
    assert policy(None).reusable() is None


def test_an_open_checkout_for_the_same_money_is_handed_back() -> None:
    live = existing(S.PROCESSING)
    assert policy(live).reusable() is live


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(10_000, "USD"), (9_998, "USD"), (9_999, "EUR"), (9_999, "JPY")],
)
def test_an_open_checkout_for_other_money_is_a_conflict(amount: int, currency: str) -> None:
    with pytest.raises(CheckoutConflict) as conflict:
        policy(existing(S.PROCESSING), amount, currency).reusable()
    assert (conflict.value.order_id, conflict.value.payment_id) == ("order-1", "pay_1")
    assert conflict.value.open_amount == Money.of(9_999, "USD")


@pytest.mark.parametrize("status", [S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED])
@pytest.mark.parametrize(("amount", "currency"), [(9_999, "USD"), (5_000, "EUR")])
def test_a_paid_order_refuses_any_new_checkout(status: PaymentStatus, amount: int, currency: str) -> None:
    with pytest.raises(OrderAlreadyPaid) as paid:
        policy(existing(status), amount, currency).reusable()
    assert (paid.value.order_id, paid.value.payment_id) == ("order-1", "pay_1")


@pytest.mark.parametrize("status", [S.FAILED, S.EXPIRED, S.CANCELLED])
@pytest.mark.parametrize(("amount", "currency"), [(9_999, "USD"), (5_000, "EUR")])
def test_a_payment_that_ended_without_money_never_blocks_a_new_checkout(
    status: PaymentStatus, amount: int, currency: str
) -> None:
    assert policy(existing(status), amount, currency).reusable() is None
