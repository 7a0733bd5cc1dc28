"""The refunds of a payment: reserved in our books before the provider is asked, then settled by its word."""

from __future__ import annotations

from datetime import datetime

from domain.payments import events as ev
from domain.payments.errors import RefundNotFound, TransitionNotAllowed
from domain.payments.payment_state import PaymentState
from domain.payments.refund import Refund, RefundReason
from domain.payments.rules import AmountIsPositive, RefundsOnlyAfterSuccess, RefundWithinRefundable
from domain.payments.status import PaymentStatus, RefundStatus, status_phrase
from domain.shared.money import Money
from domain.shared.rules import check

_S = PaymentStatus


class PaymentRefunds(PaymentState):
    @property
    def amount_refunded(self) -> Money:
        """Money that has actually gone back to the customer."""
        return self._sum(r for r in self.refunds if r.status is RefundStatus.SUCCEEDED)

    @property
    def refundable(self) -> Money:
        """What a new refund may still take: what was captured less pending and succeeded refunds."""
        return self.captured - self._sum(r for r in self.refunds if r.holds_funds)

    def request_refund(
        self, refund_id: str, amount: int | None, reason: RefundReason, note: str | None, at: datetime
    ) -> Refund:
        """Reserves the refund in our books. `amount=None` means all that remains."""
        check(RefundsOnlyAfterSuccess(self.id, self.status))
        if amount is not None:
            check(AmountIsPositive(amount))
        requested = self.refundable if amount is None else Money(amount, self.amount.currency)
        check(RefundWithinRefundable(self.id, requested, self.refundable))
        refund = Refund.pending(refund_id, requested, reason, note, at)
        self.refunds.append(refund)
        self.updated_at = at
        self._record(
            ev.RefundRequested,
            self.status,
            at,
            refund_id=refund_id,
            amount=requested.amount,
            currency=requested.currency.code,
            reason=reason.value,
        )
        return refund

    def refund(self, refund_id: str) -> Refund:
        for refund in self.refunds:
            if refund.id == refund_id or refund.provider_reference == refund_id:
                return refund
        raise RefundNotFound(self.id, refund_id)

    def mark_refund_submitted(self, refund_id: str, provider_reference: str, at: datetime) -> bool:
        refund = self.refund(refund_id)
        if refund.provider_reference == provider_reference:
            return False
        refund.provider_reference, refund.updated_at = provider_reference, at
        self.updated_at = at
        self._record(ev.RefundSubmitted, self.status, at, refund_id=refund.id, provider_reference=provider_reference)
        return True

    def settle_refund_succeeded(self, refund_id: str, at: datetime) -> bool:
        refund = self.refund(refund_id)
        if refund.status is RefundStatus.SUCCEEDED:
            return False
        if refund.status is RefundStatus.FAILED:
            raise _refund_backwards(self, refund)
        refund.status, refund.updated_at = RefundStatus.SUCCEEDED, at
        self._record(
            ev.RefundSucceeded,
            self.status,
            at,
            refund_id=refund.id,
            amount=refund.amount.amount,
            currency=refund.amount.currency.code,
        )
        self._follow_refunds(at)
        return True

    def settle_refund_failed(self, refund_id: str, reason: str, at: datetime) -> bool:
        refund = self.refund(refund_id)
        if refund.status is RefundStatus.FAILED:
            return False
        if refund.status is RefundStatus.SUCCEEDED:
            raise _refund_backwards(self, refund)
        refund.status, refund.failure_reason, refund.updated_at = RefundStatus.FAILED, reason, at
        self.updated_at = at
        self._record(
            ev.RefundFailed,
            self.status,
            at,
            refund_id=refund.id,
            amount=refund.amount.amount,
            currency=refund.amount.currency.code,
            reason=reason,
        )
        return True

    def _follow_refunds(self, at: datetime) -> None:
        """Moves the payment to partially_refunded/refunded after a refund succeeded (not while disputed)."""
        if self.status is _S.DISPUTED:
            self.updated_at = at
            return
        refunded = self.amount_refunded
        target = _S.REFUNDED if refunded.amount >= self.captured.amount else _S.PARTIALLY_REFUNDED
        previous = self._move_to(target, at)
        event = ev.PaymentRefunded if target is _S.REFUNDED else ev.PaymentPartiallyRefunded
        self._record(event, previous, at, amount_refunded=refunded.amount, currency=refunded.currency.code)


def _refund_backwards(payment: PaymentState, refund: Refund) -> TransitionNotAllowed:
    error = TransitionNotAllowed(payment.id, payment.status, payment.status)
    error.args = (f"refund {refund.id} of {payment.id} {status_phrase(refund.status)}",)
    return error
