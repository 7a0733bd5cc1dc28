"""The port every payment provider adapter implements (simulator, Stripe, Paystack, Flutterwave, PayPal).

Adapters never raise provider-specific exceptions past this boundary: only `InvalidSignature`,
`MalformedWebhook`, `ProviderError` and `ProviderUnavailable` from `application.errors`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Protocol

from application.data.provider_news import (
    CheckoutSession,
    MissedEvent,
    ProviderCapture,
    ProviderEvent,
    ProviderNotice,
    ProviderRefund,
)
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.shared.money import Currency, Money

# Asked, with our payment id, before a confirmation that would have the provider take or hold the money: False
# for a payment we have called off (cancelled, expired, failed). None: always may.
MayTakeMoney = Callable[[str], Awaitable[bool]]


class PaymentProvider(Protocol):
    name: str
    # can hold the funds at checkout (`capture: manual`) and take them later; the others refuse such a checkout
    supports_manual_capture: bool

    def supports(self, currency: Currency) -> bool: ...

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        """Idempotent on payment.id: calling twice for one payment returns the same session."""
        ...

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        """Idempotent on refund.id where the provider allows it; otherwise the caller guarantees one call."""
        ...

    async def capture(self, payment: Payment, amount: Money) -> ProviderCapture:
        """Takes `amount` of a held payment (less than held: the rest is released). Called once per capture: the
        caller reserves it first; idempotent on the payment id where the provider allows it. Raises ProviderError
        when refused, ProviderUnavailable when the answer is unknown (the capture may have happened)."""
        ...

    async def cancel(self, payment: Payment) -> None:
        """Closes an open checkout (`processing`) or voids a hold (`authorized`) at the provider. A provider whose
        checkouts expire by themselves and that holds no funds has nothing to do. Safe to repeat. Raises
        CheckoutAlreadyCompleted when the customer has finished the checkout there (its news may not be here yet),
        ProviderError when otherwise refused."""
        ...

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None
    ) -> ProviderEvent | ProviderNotice:
        """Verifies the signature over the raw body, then translates. Raises InvalidSignature, or
        MalformedWebhook for a correctly signed body that cannot be read. A provider whose webhooks only name a
        payment (unsigned, no event) returns a ProviderNotice: the processor then asks `lookup_payment` and
        `lookup_refund`, and records their answers as events.

        `at` verifies as of that moment instead of now: a stored event reprocessed later (worker retry, admin
        replay) is checked against the moment it was received, so signed timestamps stay within their tolerance.
        The signature itself is always checked: a stored forgery never becomes applicable."""
        ...

    async def confirm(self, event: ProviderEvent, may_take_money: MayTakeMoney | None = None) -> ProviderEvent:
        """For events with `needs_confirmation`: asks the provider (verify, or capture) and returns the event
        to apply, with `needs_confirmation=False` and the verified action, amount and currency. Idempotent.
        Before taking or holding money itself (PayPal's capture of an approved order) it asks `may_take_money`
        with our payment id, and when told no returns the event as NONE with the reason, having taken nothing.
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

    async def pulled_event(self, event_id: str) -> MissedEvent | None:
        """The provider's own copy of an event `missed_events` pulled earlier, fetched again by its id over the
        authenticated API: what vouches for a stored pulled event when the worker retries it (it has no
        signature). None when the provider cannot fetch that one event (the row then stays failed)."""
        ...


class PaymentProviders(Protocol):
    """The enabled providers, in routing order."""

    def get(self, name: str) -> PaymentProvider:
        """Raises UnknownProvider when no enabled provider has that name."""
        ...

    def choose(self, preference: str | None, currency: Currency, *, manual_capture: bool = False) -> PaymentProvider:
        """The preferred provider if enabled (ProviderNotEnabled otherwise, UnsupportedCurrency if it cannot
        take the currency), else the first enabled provider that supports the currency. With `manual_capture`
        only providers that can hold funds qualify (CaptureNotSupported when the preferred one or none can)."""
        ...

    def fallbacks(self, currency: Currency, *, manual_capture: bool = False) -> list[PaymentProvider]:
        """Every enabled provider a checkout without a preference may move to, in routing order: it supports the
        currency (and holds funds, with `manual_capture`) and its circuit is not open."""
        ...

    def names(self) -> list[str]: ...
