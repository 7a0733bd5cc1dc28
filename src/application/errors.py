"""Application errors: plain exceptions with data. The HTTP layer maps each to one problem type."""

from __future__ import annotations


class ApplicationError(Exception):
    """Base of the errors a use case raises on purpose."""


class PaymentNotFound(ApplicationError):
    def __init__(self, payment_id: str) -> None:
        super().__init__(f"no payment {payment_id}")
        self.payment_id = payment_id


class TransactionNotFound(ApplicationError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no payment or refund with id or provider reference {reference}")
        self.reference = reference


class WebhookEventNotFound(ApplicationError):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"no webhook event {event_id}")
        self.event_id = event_id


class WebhookBodyPurged(ApplicationError):
    """The event's raw body and headers were dropped after PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS: it cannot be
    verified or applied again."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"the raw body of webhook event {event_id} was purged after the retention period")
        self.event_id = event_id


class NotificationNotFound(ApplicationError):
    def __init__(self, notification_id: str) -> None:
        super().__init__(f"no notification {notification_id}")
        self.notification_id = notification_id


class UnsupportedCurrency(ApplicationError):
    def __init__(self, currency: str, enabled: list[str]) -> None:
        super().__init__(f"no enabled provider ({', '.join(enabled) or 'none'}) supports {currency}")
        self.currency, self.enabled = currency, enabled


class ProviderNotEnabled(ApplicationError):
    def __init__(self, provider: str, enabled: list[str]) -> None:
        super().__init__(f"provider {provider!r} is not enabled; enabled: {', '.join(enabled) or 'none'}")
        self.provider, self.enabled = provider, enabled


class UnknownProvider(ApplicationError):
    """A webhook path names no enabled provider."""

    def __init__(self, provider: str) -> None:
        super().__init__(f"no enabled provider is called {provider!r}")
        self.provider = provider


class InvalidSignature(ApplicationError):
    """The webhook's signature is missing, wrong, or outside the tolerance window. Nothing is stored."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider} webhook rejected: {reason}")
        self.provider, self.reason = provider, reason


class MalformedWebhook(InvalidSignature):
    """Correctly signed but not an event we can read: `400 malformed-webhook`, nothing stored. A subclass of
    InvalidSignature, so every path that refuses an unverifiable delivery (and counts it as `invalid_signature`,
    the metric's bounded outcome for "nothing stored") refuses this one too."""


class CaptureNotSupported(ApplicationError):
    """A manual-capture checkout for a provider that cannot hold funds: refused before anything is created."""

    def __init__(self, provider: str | None, able: list[str]) -> None:
        which = f"{provider} cannot hold funds for a later capture" if provider else "no enabled provider can"
        others = f" (enabled providers that can: {', '.join(able)})" if able else ""
        super().__init__(f"manual capture is not supported: {which}{others}")
        self.provider, self.able = provider, able


class ProviderError(ApplicationError):
    """The provider answered and refused (4xx) or failed the call. `message` never holds secrets."""

    def __init__(self, provider: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{provider} refused the request: {message}")
        self.provider, self.message, self.status = provider, message, status


class CheckoutAlreadyCompleted(ProviderError):
    """The provider would not close a checkout because the customer has already completed it there (paid, or
    authorized a hold): the payment is no longer open, though the provider's webhook saying so may still be on
    its way."""


class ProviderUnavailable(ApplicationError):
    """The provider timed out, could not be reached, or its circuit is open."""

    def __init__(self, provider: str, reason: str, retry_after: int = 30) -> None:
        super().__init__(f"{provider} is unavailable: {reason}")
        self.provider, self.reason, self.retry_after = provider, reason, retry_after


class ConcurrentUpdate(ApplicationError):
    """Someone else changed the aggregate since we read it (optimistic version check)."""

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(f"{aggregate_id} was changed concurrently")
        self.aggregate_id = aggregate_id


class LivePaymentExists(ApplicationError):
    """The store's uniqueness guard refused a second live payment for an order (a concurrent checkout won)."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} already has a live payment")
        self.order_id = order_id


class StoreUnavailable(ApplicationError):
    """The database cannot be reached or refused the connection; the caller may retry later."""

    def __init__(self, reason: str, retry_after: int = 5) -> None:
        super().__init__(f"database unavailable: {reason}")
        self.reason, self.retry_after = reason, retry_after


class IdempotencyKeyReuse(ApplicationError):
    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used with a different request")
        self.key = key


class IdempotencyKeyInUse(ApplicationError):
    def __init__(self, key: str) -> None:
        super().__init__(f"a request with Idempotency-Key {key!r} is still being processed")
        self.key = key


class InvalidCursor(ValueError):
    """The pagination cursor was not one we issued."""


class CallbackUrlRefused(ApplicationError):
    """A checkout's `callback_url` may not be used: not an http(s) URL, or (unless private networks are allowed)
    not a public address. Raised before anything is stored or any provider is asked."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"callback_url {reason}")
        self.reason = reason
