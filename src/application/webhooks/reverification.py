"""A stored event, authenticated again before a retry or a replay applies it, the way it was first authenticated.

- A delivery carries the provider's signature: `parse_webhook` checks it again over the stored raw body, as of
  the moment it was received (a stored forgery never becomes applicable).
- An event the janitor pulled over the provider's API (`missed_events`) has no signature; its inbox row is
  marked with `PULLED_BY`. The provider's API vouched for it, so the provider is asked again for that event by
  its id (`pulled_event`), and its answer is what is applied. So a pulled event whose first application failed
  (its payment not known yet, a confirmation the provider could not give) is retried with the same backoff as
  a delivered one instead of being refused for its missing signature. A forged marker gains nothing: it only
  makes us fetch the provider's own copy of that event.
"""

from __future__ import annotations

from application.data.provider_news import ProviderEvent, ProviderNotice
from application.data.webhook_events import StoredWebhook
from application.errors import InvalidSignature
from application.ports.payment_provider import PaymentProvider

PULLED_BY = "x-payments-pulled-by"
"""The header stored on an inbox row that the janitor pulled over the provider's API (never sent by a provider)."""


async def reverified(provider: PaymentProvider, stored: StoredWebhook) -> ProviderEvent | ProviderNotice:
    """The stored event as its provider vouches for it now. Raises InvalidSignature or MalformedWebhook when it
    does not, ProviderUnavailable or ProviderError when the provider cannot be asked (pulled events only)."""
    if PULLED_BY not in stored.headers:
        return provider.parse_webhook(stored.headers, stored.body, at=stored.received_at)
    fetched = await provider.pulled_event(stored.event_id)
    if fetched is None:
        raise InvalidSignature(provider.name, f"{provider.name} no longer vouches for pulled event {stored.event_id}")
    return fetched.event
