"""The port every payment provider adapter implements (simulator, Stripe, Paystack, Flutterwave, PayPal).

Adapters never raise provider-specific exceptions past this boundary: only `InvalidSignature`,
`MalformedWebhook`, `ProviderError` and `ProviderUnavailable` from `application.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.status import RefundStatus
from domain.shared.money import Currency


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    provider_reference: str
    checkout_url: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    """The provider's answer to a refund request: usually `pending` with its reference."""

    provider_reference: str
    status: RefundStatus
    failure_reason: str | None = None


class EventAction(StrEnum):
    """What a provider event means for us, whatever the provider called it."""

    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_EXPIRED = "payment_expired"
    PAYMENT_DISPUTED = "payment_disputed"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    NONE = "none"  # a verified event we store but do not act on (e.g. `payment_status: unpaid`)


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """A verified webhook, translated. `payment_id` is ours (providers carry it back to us)."""

    provider: str
    event_id: str
    event_type: str
    action: EventAction
    payment_id: str | None = None
    provider_reference: str | None = None
    refund_id: str | None = None  # ours or the provider's refund reference
    amount: int | None = None  # minor units, when the event states an amount
    currency: str | None = None
    reason: str | None = None
    occurred_at: datetime | None = None


class PaymentProvider(Protocol):
    name: str

    def supports(self, currency: Currency) -> bool: ...

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        """Idempotent on payment.id: calling twice for one payment returns the same session."""
        ...

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        """Idempotent on refund.id where the provider allows it; otherwise the caller guarantees one call."""
        ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        """Verifies the signature over the raw body, then translates. Raises InvalidSignature."""
        ...


class PaymentProviders(Protocol):
    """The enabled providers, in routing order."""

    def get(self, name: str) -> PaymentProvider:
        """Raises UnknownProvider when no enabled provider has that name."""
        ...

    def choose(self, preference: str | None, currency: Currency) -> PaymentProvider:
        """The preferred provider if enabled (ProviderNotEnabled otherwise, UnsupportedCurrency if it cannot
        take the currency), else the first enabled provider that supports the currency."""
        ...

    def names(self) -> list[str]: ...
