"""The Payment aggregate: one attempt to collect money for an order, and the refunds of it.

Every state change goes through `_move_to`, which consults the transition table and records a domain event.
Methods that receive provider news are idempotent: news that changes nothing returns False and records nothing,
news that would move the payment backwards raises TransitionNotAllowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.payments import events as ev
from domain.payments.errors import RefundNotFound, TransitionNotAllowed
from domain.payments.refund import Refund, RefundReason
from domain.payments.rules import AmountIsPositive, RefundsOnlyAfterSuccess, RefundWithinRefundable
from domain.payments.status import PaymentStatus, RefundStatus, can_move, status_phrase
from domain.shared.money import Money
from domain.shared.rules import check

_S = PaymentStatus


@dataclass(frozen=True, slots=True)
class CheckoutDetails:
    """What the order system asked for at checkout; the provider needs it, the state machine does not."""

    return_url: str | None = None
    cancel_url: str | None = None
    callback_url: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Payment:
    id: str
    order_id: str
    amount: Money
    provider: str
    status: PaymentStatus
    created_at: datetime
    updated_at: datetime
    details: CheckoutDetails = field(default_factory=CheckoutDetails)
    provider_reference: str | None = None
    checkout_url: str | None = None
    expires_at: datetime | None = None
    failure_reason: str | None = None
    refunds: list[Refund] = field(default_factory=list)
    version: int = 0
    _events: list[ev.PaymentEvent] = field(default_factory=list, repr=False, compare=False)

    # ---- creation -------------------------------------------------------------------------------------
    @classmethod
    def initiate(
        cls,
        payment_id: str,
        order_id: str,
        amount: Money,
        provider: str,
        details: CheckoutDetails,
        at: datetime,
    ) -> Payment:
        check(AmountIsPositive(amount.amount))
        payment = cls(payment_id, order_id, amount, provider, _S.PROCESSING, at, at, details)
        payment._record(
            ev.PaymentInitiated,
            None,
            at,
            amount=amount.amount,
            currency=amount.currency.code,
            provider=provider,
        )
        return payment

    def attach_checkout_session(
        self, provider_reference: str, checkout_url: str, expires_at: datetime | None, at: datetime
    ) -> bool:
        """Idempotent: the provider returns the same session for the same payment id."""
        if self.provider_reference == provider_reference and self.checkout_url == checkout_url:
            return False
        self.provider_reference, self.checkout_url, self.expires_at = (
            provider_reference,
            checkout_url,
            expires_at,
        )
        self.updated_at = at
        self._record(
            ev.CheckoutSessionCreated,
            self.status,
            at,
            provider_reference=provider_reference,
            checkout_url=checkout_url,
            expires_at=expires_at,
        )
        return True

    # ---- provider news about the payment ------------------------------------------------------------
    def succeed(self, at: datetime) -> bool:
        if self.status in (_S.SUCCEEDED, _S.PARTIALLY_REFUNDED, _S.REFUNDED, _S.DISPUTED):
            return False  # already known to have succeeded; later states imply it
        previous = self._move_to(_S.SUCCEEDED, at)
        self._record(ev.PaymentSucceeded, previous, at, amount=self.amount.amount, currency=self.amount.currency.code)
        return True

    def fail(self, reason: str, at: datetime) -> bool:
        if self.status is _S.FAILED:
            return False
        previous = self._move_to(_S.FAILED, at)
        self.failure_reason = reason
        self._record(ev.PaymentFailed, previous, at, reason=reason)
        return True

    def expire(self, at: datetime) -> bool:
        if self.status is _S.EXPIRED:
            return False
        previous = self._move_to(_S.EXPIRED, at)
        self._record(ev.PaymentExpired, previous, at)
        return True

    def cancel(self, reason: str, at: datetime) -> bool:
        if self.status is _S.CANCELLED:
            return False
        previous = self._move_to(_S.CANCELLED, at)
        self._record(ev.PaymentCancelled, previous, at, reason=reason)
        return True

    def dispute(self, reason: str, at: datetime) -> bool:
        if self.status is _S.DISPUTED:
            return False
        previous = self._move_to(_S.DISPUTED, at)
        self._record(ev.PaymentDisputed, previous, at, reason=reason)
        return True

    # ---- refunds --------------------------------------------------------------------------------------
    @property
    def amount_refunded(self) -> Money:
        """Money that has actually gone back to the customer."""
        return self._sum(r for r in self.refunds if r.status is RefundStatus.SUCCEEDED)

    @property
    def refundable(self) -> Money:
        """What a new refund may still take: the amount less pending and succeeded refunds."""
        return self.amount - self._sum(r for r in self.refunds if r.holds_funds)

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
        target = _S.REFUNDED if refunded.amount >= self.amount.amount else _S.PARTIALLY_REFUNDED
        previous = self._move_to(target, at)
        event = ev.PaymentRefunded if target is _S.REFUNDED else ev.PaymentPartiallyRefunded
        self._record(event, previous, at, amount_refunded=refunded.amount, currency=refunded.currency.code)

    # ---- events ---------------------------------------------------------------------------------------
    def pull_events(self) -> list[ev.PaymentEvent]:
        """Hands the recorded events to whoever persists them, exactly once."""
        events, self._events = self._events, []
        return events

    @property
    def pending_events(self) -> tuple[ev.PaymentEvent, ...]:
        return tuple(self._events)

    def _move_to(self, target: PaymentStatus, at: datetime) -> PaymentStatus:
        if not can_move(self.status, target):
            raise TransitionNotAllowed(self.id, self.status, target)
        previous, self.status, self.updated_at = self.status, target, at
        return previous

    def _record(self, kind: type[ev.PaymentEvent], previous: PaymentStatus | None, at: datetime, **data: Any) -> None:
        self._events.append(
            kind(
                payment_id=self.id,
                order_id=self.order_id,
                occurred_at=at,
                from_status=previous,
                to_status=self.status,
                **data,
            )
        )

    def _sum(self, refunds: Any) -> Money:
        total = Money.zero(self.amount.currency)
        for refund in refunds:
            total = total + refund.amount
        return total


def _refund_backwards(payment: Payment, refund: Refund) -> TransitionNotAllowed:
    error = TransitionNotAllowed(payment.id, payment.status, payment.status)
    error.args = (f"refund {refund.id} of {payment.id} {status_phrase(refund.status)}",)
    return error
