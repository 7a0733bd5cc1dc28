"""Which actions a payment offers the signed-in key: shown only when both the payment and the key allow them
(the server checks both again when the form is posted)."""

from __future__ import annotations

from dataclasses import dataclass

from application.views import PaymentView
from domain.payments.status import CANCELLABLE_STATUSES, REFUNDABLE_STATUSES, PaymentStatus
from interfaces.admin.session import Console

_REFUNDABLE = frozenset(s.value for s in REFUNDABLE_STATUSES)
_CANCELLABLE = frozenset(s.value for s in CANCELLABLE_STATUSES)
_HOLDING_REFUNDS = ("pending", "succeeded")


@dataclass(frozen=True, slots=True)
class PaymentActions:
    refundable: int  # minor units a refund may still take
    refund: bool
    capture: bool
    cancel: bool

    @property
    def any(self) -> bool:
        return self.refund or self.capture or self.cancel


def refundable(payment: PaymentView) -> int:
    """What was taken (the amount, or what a capture took) less the refunds pending or made."""
    taken = payment.amount if payment.amount_captured is None else payment.amount_captured
    return max(0, taken - sum(r.amount for r in payment.refunds if r.status in _HOLDING_REFUNDS))


def actions_for(payment: PaymentView, console: Console) -> PaymentActions:
    left = refundable(payment)
    settled = not payment.capture_pending
    return PaymentActions(
        refundable=left,
        refund=console.can("refunds:write") and payment.status in _REFUNDABLE and left > 0,
        capture=console.can("payments:write")
        and payment.status == PaymentStatus.AUTHORIZED.value
        and payment.amount_capturable > 0
        and settled,
        cancel=console.can("payments:write") and payment.status in _CANCELLABLE and settled,
    )
