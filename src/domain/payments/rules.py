"""The payment business rules, each a named object (see `domain.shared.rules.check`)."""

from dataclasses import dataclass

from domain.payments.errors import InvalidAmount, PaymentNotRefundable, RefundExceedsRefundable
from domain.payments.status import REFUNDABLE_STATUSES, PaymentStatus
from domain.shared.money import Money


@dataclass(frozen=True, slots=True)
class AmountIsPositive:
    amount: int

    def is_broken(self) -> bool:
        return self.amount <= 0

    def violation(self) -> Exception:
        return InvalidAmount(self.amount)


@dataclass(frozen=True, slots=True)
class RefundsOnlyAfterSuccess:
    payment_id: str
    status: PaymentStatus

    def is_broken(self) -> bool:
        return self.status not in REFUNDABLE_STATUSES

    def violation(self) -> Exception:
        return PaymentNotRefundable(self.payment_id, self.status)


@dataclass(frozen=True, slots=True)
class RefundWithinRefundable:
    """Pending and succeeded refunds together never exceed the amount paid."""

    payment_id: str
    requested: Money
    refundable: Money

    def is_broken(self) -> bool:
        # nothing left is a violation too: "refund the rest" of a fully reserved payment refunds nothing
        return self.refundable < self.requested or not self.refundable.is_positive

    def violation(self) -> Exception:
        return RefundExceedsRefundable(self.payment_id, self.requested, self.refundable)
