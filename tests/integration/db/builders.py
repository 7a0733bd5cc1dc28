"""Payments for storage tests, built through the aggregate so their events are the real ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.data.cause import Cause
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import RefundReason
from domain.shared.money import Money
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator

T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
API = Cause("api", "orders")


def new_payment(
    ids: SortableIdGenerator,
    order_id: str = "order-1",
    *,
    amount: int = 10_000,
    currency: str = "USD",
    provider: str = "simulator",
    at: datetime = T0,
    details: CheckoutDetails | None = None,
) -> Payment:
    return Payment.initiate(
        ids.new("pay"), order_id, Money.of(amount, currency), provider, details or CheckoutDetails(), at
    )


def paid_payment(
    ids: SortableIdGenerator,
    order_id: str = "order-1",
    *,
    amount: int = 10_000,
    currency: str = "USD",
    provider: str = "simulator",
    at: datetime = T0,
) -> Payment:
    """Succeeded, with a checkout session; `at` is its creation time, later changes follow by seconds."""
    payment = new_payment(ids, order_id, amount=amount, currency=currency, provider=provider, at=at)
    payment.attach_checkout_session(f"cs_{payment.id}", f"https://pay.example/{payment.id}", None, at)
    payment.succeed(at + timedelta(seconds=1))
    return payment


def refund(ids: SortableIdGenerator, payment: Payment, amount: int, at: datetime, *, succeed: bool = False) -> str:
    refund = payment.request_refund(ids.new("re"), amount, RefundReason.REQUESTED_BY_CUSTOMER, None, at)
    payment.mark_refund_submitted(refund.id, f"ref_{refund.id}", at)
    if succeed:
        payment.settle_refund_succeeded(refund.id, at)
    return refund.id


async def store(uow: SqlUnitOfWork, *payments: Payment) -> None:
    async with uow:
        for payment in payments:
            await uow.payments.add(payment, API)
        await uow.commit()
