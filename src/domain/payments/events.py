"""Domain events: one per thing that happened to a payment or a refund, named in the past tense.

`name` is the public event type (audit trail `type`, outbox topic, callback `type`). Fields are plain values so
the application can store them without knowing the classes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from domain.payments.status import PaymentStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentEvent:
    name: ClassVar[str] = "payment.event"

    payment_id: str
    order_id: str
    occurred_at: datetime
    from_status: PaymentStatus | None
    to_status: PaymentStatus | None

    def data(self) -> dict[str, Any]:
        """The event-specific fields (everything but the common envelope)."""
        common = {"payment_id", "order_id", "occurred_at", "from_status", "to_status"}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in common}


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentInitiated(PaymentEvent):
    name: ClassVar[str] = "payment.initiated"
    amount: int
    currency: str
    provider: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskAssessed(PaymentEvent):
    """The checkout's risk check allowed the payment or flagged it for review (a block creates no payment)."""

    name: ClassVar[str] = "risk.assessed"
    decision: str
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutSessionCreated(PaymentEvent):
    name: ClassVar[str] = "payment.checkout_session_created"
    provider_reference: str
    checkout_url: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRerouted(PaymentEvent):
    """The checkout's provider gave no answer before a session existed: the payment moved to another provider.
    Its attempt at `from_provider` is closed in our books (a session made there late is never shown)."""

    name: ClassVar[str] = "payment.rerouted"
    from_provider: str
    to_provider: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentAuthorized(PaymentEvent):
    """The customer approved a manual-capture payment: the funds are held, nothing is taken yet."""

    name: ClassVar[str] = "payment.authorized"
    amount: int
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureRequested(PaymentEvent):
    name: ClassVar[str] = "payment.capture_requested"
    amount: int
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureFailed(PaymentEvent):
    """The provider refused a capture: the payment stays authorized and may be captured again."""

    name: ClassVar[str] = "payment.capture_failed"
    amount: int
    currency: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentSucceeded(PaymentEvent):
    name: ClassVar[str] = "payment.succeeded"
    amount: int  # what was taken: the whole amount, or what a (partial) capture took
    currency: str
    # the provider reported the money taken after we had cancelled or expired the payment
    paid_after_cancel: bool = False

    def data(self) -> dict[str, Any]:
        """`paid_after_cancel` only when it is true: the ordinary success reads as it always did."""
        fields = {"amount": self.amount, "currency": self.currency}
        return {**fields, "paid_after_cancel": True} if self.paid_after_cancel else fields


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentFailed(PaymentEvent):
    name: ClassVar[str] = "payment.failed"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentExpired(PaymentEvent):
    name: ClassVar[str] = "payment.expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentCancelled(PaymentEvent):
    name: ClassVar[str] = "payment.cancelled"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentDisputed(PaymentEvent):
    name: ClassVar[str] = "payment.disputed"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentPartiallyRefunded(PaymentEvent):
    name: ClassVar[str] = "payment.partially_refunded"
    amount_refunded: int
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRefunded(PaymentEvent):
    name: ClassVar[str] = "payment.refunded"
    amount_refunded: int
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundRequested(PaymentEvent):
    name: ClassVar[str] = "refund.requested"
    refund_id: str
    amount: int
    currency: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundSubmitted(PaymentEvent):
    """The provider accepted the refund request and gave it a reference; money has not moved yet."""

    name: ClassVar[str] = "refund.submitted"
    refund_id: str
    provider_reference: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundSucceeded(PaymentEvent):
    name: ClassVar[str] = "refund.succeeded"
    refund_id: str
    amount: int
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundFailed(PaymentEvent):
    name: ClassVar[str] = "refund.failed"
    refund_id: str
    amount: int
    currency: str
    reason: str
