"""The payment business rules, each a named object (see `domain.shared.rules.check`)."""

from dataclasses import dataclass

from domain.payments.errors import (
    CaptureExceedsAuthorized,
    InvalidAmount,
    PaymentNotCancellable,
    PaymentNotCapturable,
    PaymentNotRefundable,
    PaymentNotReroutable,
    RefundExceedsRefundable,
)
from domain.payments.risk import PaymentBlocked, RiskAssessment
from domain.payments.status import CANCELLABLE_STATUSES, REFUNDABLE_STATUSES, PaymentStatus
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


@dataclass(frozen=True, slots=True)
class CaptureOnlyWhenAuthorized:
    """One capture per authorization: while one is in flight (the provider has not answered yet) no other may
    start, so two concurrent captures can never both reach the provider."""

    payment_id: str
    status: PaymentStatus
    capture_pending: bool

    def is_broken(self) -> bool:
        return self.status is not PaymentStatus.AUTHORIZED or self.capture_pending

    def violation(self) -> Exception:
        return PaymentNotCapturable(self.payment_id, self.status, capture_pending=self.capture_pending)


@dataclass(frozen=True, slots=True)
class CaptureWithinAuthorized:
    payment_id: str
    requested: Money
    authorized: Money

    def is_broken(self) -> bool:
        return self.authorized < self.requested

    def violation(self) -> Exception:
        return CaptureExceedsAuthorized(self.payment_id, self.requested, self.authorized)


@dataclass(frozen=True, slots=True)
class CancelOnlyWhileOpen:
    """An open checkout or a hold, and not while a capture of it is in flight (the money may be taken already)."""

    payment_id: str
    status: PaymentStatus
    capture_pending: bool = False

    def is_broken(self) -> bool:
        return self.status not in CANCELLABLE_STATUSES or self.capture_pending

    def violation(self) -> Exception:
        return PaymentNotCancellable(self.payment_id, self.status, capture_pending=self.capture_pending)


@dataclass(frozen=True, slots=True)
class RerouteOnlyWithoutSession:
    """A provider that answered with a session may be taking the customer's money: the payment stays with it."""

    payment_id: str
    reroutable: bool

    def is_broken(self) -> bool:
        return not self.reroutable

    def violation(self) -> Exception:
        return PaymentNotReroutable(self.payment_id)


@dataclass(frozen=True, slots=True)
class NotBlocked:
    """A checkout the risk check blocked never becomes a payment."""

    order_id: str
    risk: RiskAssessment | None

    def is_broken(self) -> bool:
        return self.risk is not None and self.risk.blocks

    def violation(self) -> Exception:
        assert self.risk is not None  # is_broken checked it
        return PaymentBlocked(self.order_id, self.risk)
