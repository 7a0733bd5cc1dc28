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
    # True when the provider must be asked before we act (Paystack/Flutterwave re-verify a charge, PayPal
    # captures an approved order): the handler stores the event first, calls `confirm` outside any transaction,
    # then applies what `confirm` returned.
    needs_confirmation: bool = False


@dataclass(frozen=True, slots=True)
class MissedEvent:
    """An event the provider failed to deliver, pulled back over its API: translated exactly like a webhook,
    with the event's raw JSON `body` kept so it is stored in the inbox like a delivered one."""

    event: ProviderEvent
    body: bytes


class PaymentProvider(Protocol):
    name: str

    def supports(self, currency: Currency) -> bool: ...

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        """Idempotent on payment.id: calling twice for one payment returns the same session."""
        ...

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        """Idempotent on refund.id where the provider allows it; otherwise the caller guarantees one call."""
        ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderEvent:
        """Verifies the signature over the raw body, then translates. Raises InvalidSignature.

        `at` verifies as of that moment instead of now: a stored event reprocessed later (worker retry, admin
        replay) is checked against the moment it was received, so signed timestamps stay within their tolerance.
        The signature itself is always checked: a stored forgery never becomes applicable."""
        ...

    async def confirm(self, event: ProviderEvent) -> ProviderEvent:
        """For events with `needs_confirmation`: asks the provider (verify, or capture) and returns the event
        to apply, with `needs_confirmation=False` and the verified action, amount and currency. Idempotent.
        Raises ProviderUnavailable when the provider cannot answer now (the event is retried later)."""
        ...

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        """The provider's current word on a payment, as an event to apply (janitor, reconciliation);
        None when the provider has nothing final to say yet."""
        ...

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        """The provider's current word on a pending refund; None when it is still pending or unknown."""
        ...

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        """Events created since `since` that the provider knows it failed to deliver to our webhook endpoint,
        oldest first, fetched over its authenticated API (janitor). No webhook signature exists for them: the
        TLS connection to the provider's API, authenticated with our secret key, is what vouches for them.
        Providers without such an API return []."""
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
