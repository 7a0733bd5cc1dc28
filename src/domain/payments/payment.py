"""The Payment aggregate: one attempt to collect money for an order, its capture and the refunds of it.

Every state change goes through `_move_to`, which consults the transition table and records a domain event.
Methods that receive provider news are idempotent: news that changes nothing returns False and records nothing,
news that would move the payment backwards raises TransitionNotAllowed. The refunds (payment_refunds.py) and
the capture of a held payment (payment_capture.py) are parts of this one class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.payments import events as ev
from domain.payments.payment_capture import PaymentCapture
from domain.payments.payment_refunds import PaymentRefunds
from domain.payments.payment_routing import PaymentRouting
from domain.payments.refund import Refund
from domain.payments.risk import RiskAssessment
from domain.payments.rules import AmountIsPositive, CancelOnlyWhileOpen, NotBlocked
from domain.payments.status import PAID_STATUSES, PaymentStatus
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
    customer_ip: str | None = None  # the customer's, as the order system saw it (risk checks)
    customer_country: str | None = None  # ISO 3166 alpha-2 (risk checks)


class CaptureMode(StrEnum):
    AUTOMATIC = "automatic"  # taken as soon as the customer pays
    MANUAL = "manual"  # held when the customer approves (`authorized`), taken by a capture


@dataclass(slots=True)
class Payment(PaymentRefunds, PaymentCapture, PaymentRouting):
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
    capture: CaptureMode = CaptureMode.AUTOMATIC
    amount_captured: int | None = None  # what was taken, once it was (a partial capture takes less than amount)
    capture_requested: int | None = None  # a capture asked of the provider and not yet confirmed
    paid_after_cancel: bool = False  # the provider took the money after we had cancelled or expired the payment
    providers_tried: tuple[str, ...] = ()  # every provider asked for this checkout, in order (failover)
    risk: RiskAssessment | None = None  # the checkout's risk check (allow or review); None when none ran
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
        capture: CaptureMode = CaptureMode.AUTOMATIC,
        risk: RiskAssessment | None = None,
    ) -> Payment:
        check(AmountIsPositive(amount.amount))
        check(NotBlocked(order_id, risk))
        payment = cls(
            payment_id, order_id, amount, provider, _S.PROCESSING, at, at, details, capture=capture, risk=risk
        )
        payment.providers_tried = (provider,)
        payment._record(
            ev.PaymentInitiated,
            None,
            at,
            amount=amount.amount,
            currency=amount.currency.code,
            provider=provider,
        )
        if risk is not None:  # the audit trail says what the risk check decided, and why
            payment._record(
                ev.RiskAssessed, _S.PROCESSING, at, decision=risk.decision, score=risk.score, reasons=risk.reasons
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
    def succeed(self, at: datetime, amount: int | None = None) -> bool:
        """The money was taken (`amount`: what the provider reports taking, for a capture). After we cancelled or
        expired the payment this still wins, and says so (`paid_after_cancel`): the money really moved."""
        if self.status in PAID_STATUSES:
            return False  # already known to have succeeded; later states imply it
        late = self.status in (_S.CANCELLED, _S.EXPIRED)
        taken = self._taken(amount)
        previous = self._move_to(_S.SUCCEEDED, at)
        self.amount_captured, self.capture_requested, self.paid_after_cancel = taken, None, late
        currency = self.amount.currency.code
        self._record(ev.PaymentSucceeded, previous, at, amount=taken, currency=currency, paid_after_cancel=late)
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
        """Closes an open checkout or voids an authorization; a paid payment is refunded, not cancelled."""
        if self.status is _S.CANCELLED:
            return False
        check(CancelOnlyWhileOpen(self.id, self.status, self.capture_pending))
        previous = self._move_to(_S.CANCELLED, at)
        self._record(ev.PaymentCancelled, previous, at, reason=reason)
        return True

    def dispute(self, reason: str, at: datetime) -> bool:
        if self.status is _S.DISPUTED:
            return False
        previous = self._move_to(_S.DISPUTED, at)
        self._record(ev.PaymentDisputed, previous, at, reason=reason)
        return True
