"""Stripe SDK errors → the port's two provider errors, so nothing Stripe-specific crosses the boundary.

ProviderUnavailable (try again later): no answer at all (connection error, timeout), 5xx, 429 rate limits, and
409 (a concurrent request holds the same idempotency key, or a lock timed out); Stripe itself marks these
retryable (https://docs.stripe.com/error-low-level#idempotency and the `Stripe-Should-Retry` header).
ProviderError (Stripe answered and refused): every other 4xx, with Stripe's own message, minus our key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import stripe

from application.errors import ProviderError, ProviderUnavailable
from infrastructure.providers.stripe.news import PROVIDER

_RETRYABLE_STATUSES = frozenset({409, 429})


@asynccontextmanager
async def translated_errors(operation: str, secret_key: str) -> AsyncIterator[None]:
    """Runs one SDK call; re-raises its error as ProviderError/ProviderUnavailable, never chained (the SDK's
    exception carries the raw response, which we do not want in logs next to a request)."""
    try:
        yield
    except stripe.StripeError as error:
        raise translate(error, operation, secret_key) from None


def translate(error: stripe.StripeError, operation: str, secret_key: str) -> ProviderError | ProviderUnavailable:
    status = error.http_status
    message = _scrub(error.user_message or type(error).__name__, secret_key)
    if _retryable(error, status):
        reason = f"{operation}: " + (f"HTTP {status}: {message}" if status else "no answer (connection or timeout)")
        return ProviderUnavailable(PROVIDER, reason)
    return ProviderError(PROVIDER, message, status)


def _retryable(error: stripe.StripeError, status: int | None) -> bool:
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError) or status is None:
        return True
    if (error.headers or {}).get("stripe-should-retry") == "true":
        return True
    return status >= 500 or status in _RETRYABLE_STATUSES


def _scrub(message: str, secret_key: str) -> str:
    """Stripe masks keys in its messages (`sk_test_****1234`); we make sure, whatever the message says."""
    if secret_key and secret_key in message:
        message = message.replace(secret_key, "[redacted]")
    return message
