"""Receiving PayPal webhooks: verify over the raw body (now, or in `confirm`), refuse stale transmissions,
translate. https://developer.paypal.com/api/rest/webhooks/rest/
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import InvalidSignature
from application.ports.clock import Clock
from infrastructure.providers.paypal.errors import NAME
from infrastructure.providers.paypal.events import translate
from infrastructure.providers.paypal.signature import Transmission, WebhookVerifier

# PayPal retries a delivery for up to 3 days; a transmission older than that (plus slack) is a replay. Dedupe on
# the event id is the main defence; this window bounds what a captured request is worth. A stored event that
# is parsed again (a worker's retry) must be so within the window too: PAYMENTS_RETRY_MAX_AGE_SECONDS (3 days)
# fits.
MAX_AGE = timedelta(days=3, hours=1)
MAX_CLOCK_SKEW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnverifiedEvent(ProviderEvent):
    """A delivery whose signature could not be checked without I/O: stored under its event id, acting on nothing
    (action NONE, no payment named) until `confirm` has verified the signature over the same raw body.

    The price of storing before verifying: a forgery claims its event id in the inbox (as `failed`), so a
    genuine event with that id would then be taken for a duplicate. PayPal's event ids are random and unknown
    before delivery, and offline verification only stores unverified events for a certificate URL not yet
    cached (the first event after a start or a certificate rotation), which keeps that risk small."""

    transmission: Transmission
    body: bytes = field(repr=False)


class PayPalWebhooks:
    def __init__(self, verifier: WebhookVerifier, clock: Clock) -> None:
        self._verifier, self._clock = verifier, clock

    def parse(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderEvent:
        """`at`: judge the transmission time as of that moment (a stored event reprocessed later)."""
        transmission = Transmission.from_headers(headers)
        self._check_age(transmission, at or self._clock.now())
        verified = self._verifier.verify_now(transmission, body)  # raises InvalidSignature for a forgery
        event = translate(body)  # MalformedWebhook for a body no PayPal event has: refused either way
        if verified:
            return event
        return UnverifiedEvent(
            provider=NAME,
            event_id=event.event_id,
            event_type=event.event_type,
            action=EventAction.NONE,
            reason="signature not verified yet",
            needs_confirmation=True,
            transmission=transmission,
            body=body,
        )

    async def verified(self, event: UnverifiedEvent) -> ProviderEvent:
        """The event, translated, once the signature is verified; ProviderError if it is not genuine."""
        await self._verifier.verify_later(event.transmission, event.body)
        return translate(event.body)

    def _check_age(self, transmission: Transmission, now: datetime) -> None:
        age = now - transmission.sent_at()
        if age > MAX_AGE:
            raise InvalidSignature(NAME, f"transmission is {age} old, beyond the {MAX_AGE} window")
        if -age > MAX_CLOCK_SKEW:
            raise InvalidSignature(NAME, f"transmission time is {-age} in the future")
