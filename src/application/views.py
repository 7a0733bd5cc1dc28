"""What queries and commands return: plain read-only data, never aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.risk import RiskAssessment


@dataclass(frozen=True, slots=True)
class RefundView:
    id: str
    payment_id: str
    amount: int
    currency: str
    status: str
    reason: str
    provider_reference: str | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, payment_id: str, refund: Refund) -> RefundView:
        return cls(
            refund.id,
            payment_id,
            refund.amount.amount,
            refund.amount.currency.code,
            refund.status.value,
            refund.reason.value,
            refund.provider_reference,
            refund.failure_reason,
            refund.created_at,
            refund.updated_at,
        )


@dataclass(frozen=True, slots=True)
class RiskView:
    """The checkout's risk check: `allow` or `review` (a blocked checkout has no payment)."""

    decision: str
    score: int
    reasons: tuple[str, ...]

    @classmethod
    def of(cls, risk: RiskAssessment | None) -> RiskView | None:
        return None if risk is None else cls(risk.decision.value, risk.score, risk.reasons)


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: str
    order_id: str
    amount: int
    currency: str
    status: str
    provider: str
    provider_reference: str | None
    checkout_url: str | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    amount_refunded: int = 0
    failure_reason: str | None = None
    refunds: tuple[RefundView, ...] = ()
    callback_url: str | None = None
    return_url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    cancel_url: str | None = None
    description: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    capture: str = "automatic"
    amount_capturable: int = 0  # what a capture may still take (an authorization with no capture in flight)
    amount_captured: int | None = None  # what was taken, once it was
    capture_pending: bool = False  # a capture was asked of the provider and it has not confirmed yet
    paid_after_cancel: bool = False
    providers_tried: tuple[str, ...] = ()  # every provider asked for the checkout, in order (failover)
    risk: RiskView | None = None  # None when no risk check ran
    customer_ip: str | None = None
    customer_country: str | None = None

    @classmethod
    def of(cls, payment: Payment) -> PaymentView:
        return cls(
            payment.id,
            payment.order_id,
            payment.amount.amount,
            payment.amount.currency.code,
            payment.status.value,
            payment.provider,
            payment.provider_reference,
            payment.checkout_url,
            payment.expires_at,
            payment.created_at,
            payment.updated_at,
            payment.amount_refunded.amount,
            payment.failure_reason,
            tuple(RefundView.of(payment.id, r) for r in payment.refunds),
            payment.details.callback_url,
            payment.details.return_url,
            dict(payment.details.metadata),
            payment.details.cancel_url,
            payment.details.description,
            payment.details.customer_email,
            payment.details.customer_name,
            payment.capture.value,
            payment.amount_capturable.amount,
            payment.amount_captured,
            payment.capture_pending,
            payment.paid_after_cancel,
            payment.providers_tried,
            RiskView.of(payment.risk),
            payment.details.customer_ip,
            payment.details.customer_country,
        )


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    payment: PaymentView
    created: bool  # False when an open checkout for the same order and money was handed back


@dataclass(frozen=True, slots=True)
class PaymentStatusView:
    order_id: str
    payment_id: str
    status: str
    amount: int
    amount_refunded: int
    currency: str
    provider: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntryView:
    id: str
    at: datetime
    type: str
    from_status: str | None
    to_status: str | None
    source: str
    actor: str | None
    provider_event_id: str | None
    data: dict[str, Any]


TransactionKind = Literal["payment", "refund"]


@dataclass(frozen=True, slots=True)
class TransactionView:
    id: str
    kind: TransactionKind
    payment_id: str
    order_id: str
    provider: str
    provider_reference: str | None
    amount: int
    currency: str
    status: str
    created_at: datetime
    updated_at: datetime
    risk: str | None = None  # a payment's risk decision (allow, review); None for refunds and unchecked payments


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    status: str | None = None
    provider: str | None = None
    kind: TransactionKind | None = None
    order_id: str | None = None
    currency: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    risk: str | None = None  # payments whose risk decision is this (refunds have none)


@dataclass(frozen=True, slots=True)
class TransactionPage:
    data: tuple[TransactionView, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    id: str | None  # None only for a notice about no payment of ours: nothing was stored
    duplicate: bool
    status: str  # inbox status after handling: processed, ignored, failed (or the stored one for duplicates)
