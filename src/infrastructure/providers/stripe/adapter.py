"""Stripe behind the PaymentProvider port: hosted Checkout Sessions, refunds, holds (authorize now, capture
later), signed webhooks, lookups."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import msgspec
import stripe
from stripe.params import EventListParams

from application.data.provider_news import (
    CheckoutSession,
    EventAction,
    MissedEvent,
    ProviderCapture,
    ProviderEvent,
    ProviderRefund,
)
from application.errors import MalformedWebhook, ProviderError
from application.ports.clock import Clock
from application.ports.payment_provider import MayTakeMoney
from domain.payments.payment import CaptureMode, Payment
from domain.payments.refund import Refund
from domain.payments.status import PaymentStatus, RefundStatus
from domain.shared.money import Currency, Money
from infrastructure.providers.signing import verify
from infrastructure.providers.stripe import currencies, holds, lookups
from infrastructure.providers.stripe.errors import translated_errors
from infrastructure.providers.stripe.events import translate
from infrastructure.providers.stripe.hold_calls import StripeHoldCalls
from infrastructure.providers.stripe.news import PROVIDER
from infrastructure.providers.stripe.params import (
    checkout_idempotency_key,
    checkout_params,
    refund_idempotency_key,
    refund_params,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "stripe-signature"
TOLERANCE_SECONDS = 300  # Stripe's SDKs default to 5 minutes (https://docs.stripe.com/webhooks#replay-attacks)
EVENTS_PAGE = 100  # Stripe's maximum `limit` for list endpoints
_REFUND_STATUSES = {"succeeded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED, "canceled": RefundStatus.FAILED}


class StripePaymentProvider:
    name = PROVIDER
    supports_manual_capture = True  # `payment_intent_data[capture_method]=manual`

    def __init__(
        self,
        client: stripe.StripeClient,
        secret_key: str,
        webhook_secrets: Sequence[str],
        public_url: str,
        clock: Clock,
    ) -> None:
        self._client, self._key = client, secret_key
        self._webhook_secrets = tuple(webhook_secrets)
        self._public_url, self._clock = public_url, clock
        self._holds = StripeHoldCalls(client, secret_key)

    def supports(self, currency: Currency) -> bool:
        return currencies.supports(currency)

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        # Our key, never the SDK's random one: a retry after a timeout gets the session Stripe already made.
        options: stripe.RequestOptions = {"idempotency_key": checkout_idempotency_key(payment)}
        async with translated_errors("create checkout session", self._key):
            session = await self._client.v1.checkout.sessions.create_async(
                checkout_params(payment, self._public_url), options
            )
        if not session.url:
            raise ProviderError(PROVIDER, f"Checkout Session {session.id} came back without a url")
        return CheckoutSession(session.id, session.url, datetime.fromtimestamp(session.expires_at, tz=UTC))

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        payment_intent = await self._payment_intent_of(payment)
        options: stripe.RequestOptions = {"idempotency_key": refund_idempotency_key(refund)}
        async with translated_errors("create refund", self._key):
            answer = await self._client.v1.refunds.create_async(refund_params(payment, refund, payment_intent), options)
        status = _REFUND_STATUSES.get(answer.status or "", RefundStatus.PENDING)
        failure = answer.failure_reason if status is RefundStatus.FAILED else None
        return ProviderRefund(answer.id, status, failure)

    async def capture(self, payment: Payment, amount: Money) -> ProviderCapture:
        return await self._holds.capture(await self._payment_intent_of(payment), payment, amount)

    async def cancel(self, payment: Payment) -> None:
        """A hold: void its PaymentIntent. An open checkout: expire its session (Stripe will not cancel the
        PaymentIntent of an open Checkout Session). A checkout whose session we never learned (the checkout call
        timed out) was never shown to the customer: nothing to close."""
        if payment.status is PaymentStatus.AUTHORIZED:
            await self._holds.void(await self._payment_intent_of(payment), payment)
        elif payment.provider_reference:
            await self._holds.expire(payment.provider_reference, payment)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderEvent:
        lowered = {key.lower(): value for key, value in headers.items()}
        now = int((at or self._clock.now()).timestamp())
        verify(lowered.get(SIGNATURE_HEADER), body, self._webhook_secrets, now, TOLERANCE_SECONDS, provider=PROVIDER)
        return translate(body)

    async def confirm(self, event: ProviderEvent, may_take_money: MayTakeMoney | None = None) -> ProviderEvent:
        """Two kinds of event ask, both naming a PaymentIntent: an unpaid completed session (held, paid, or still
        settling: holds.py) and a dispute (the PaymentIntent's metadata names our payment)."""
        if not event.needs_confirmation or not event.provider_reference:
            return replace(event, needs_confirmation=False)
        if event.action is not EventAction.PAYMENT_DISPUTED:
            return holds.confirmed(event, await self._holds.intent(event.provider_reference))
        if event.payment_id:
            return replace(event, needs_confirmation=False)
        async with translated_errors("read payment intent", self._key):
            intent = await self._client.v1.payment_intents.retrieve_async(event.provider_reference)
        payment_id = lookups.metadata(intent, "payment_id")
        if not payment_id:
            reason = f"{event.reason}; PaymentIntent {intent.id} carries no payment_id: not a payment of ours"
            return replace(event, action=EventAction.NONE, needs_confirmation=False, reason=reason)
        return replace(event, payment_id=payment_id, needs_confirmation=False)

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        if not payment.provider_reference:
            return None  # no session yet: the checkout retry (same idempotency key) recovers it, not a lookup
        async with translated_errors("read checkout session", self._key):
            session = await self._client.v1.checkout.sessions.retrieve_async(payment.provider_reference)
        intent = session.payment_intent
        if payment.capture is CaptureMode.MANUAL and session.status == "complete" and intent is not None:
            held = await self._holds.intent(intent if isinstance(intent, str) else intent.id)
            return lookups.hold_news(held, payment)
        return lookups.session_news(session, payment.id)

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        async with translated_errors("read refund", self._key):
            if refund.provider_reference:
                found = await self._client.v1.refunds.retrieve_async(refund.provider_reference)
            else:  # the refund call timed out before we learned Stripe's id: find it by our metadata
                payment_intent = await self._payment_intent_of(payment)
                listed = await self._client.v1.refunds.list_async({"payment_intent": payment_intent, "limit": 100})
                matches = [r for r in listed.data if lookups.metadata(r, "refund_id") == refund.id]
                if not matches:
                    return None  # it never reached Stripe
                found = matches[0]
        return lookups.refund_news(found, payment.id, refund.id)

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        """`GET /v1/events?delivery_success=false&created[gte]=…` (Stripe keeps events 30 days), every page.

        Authenticated by our secret key over TLS, so there is no signature to check; each event is translated
        exactly like a webhook body (events.py), and its JSON kept as the body the inbox stores. Stripe lists
        newest first; the answer is oldest first, as they would have been delivered."""
        params: EventListParams = {
            "delivery_success": False,
            "created": {"gte": int(since.timestamp())},
            "limit": EVENTS_PAGE,
        }
        missed: list[MissedEvent] = []
        while True:
            async with translated_errors("list undelivered events", self._key):
                page = await self._client.v1.events.list_async(params)
            raw = page.last_response.data if page.last_response is not None else None
            objects = raw.get("data") if isinstance(raw, dict) else None
            if not isinstance(objects, list):
                raise ProviderError(PROVIDER, "the event list came back without its data")
            for obj in objects:
                body = msgspec.json.encode(obj)
                try:
                    missed.append(MissedEvent(translate(body), body))
                except MalformedWebhook as unreadable:  # one unreadable event must not hide the others
                    log.warning("skipped undelivered Stripe event %s: %s", obj.get("id"), unreadable)
            if not page.has_more or not objects:
                break
            params = {**params, "starting_after": str(objects[-1]["id"])}
        missed.reverse()
        return missed

    async def pulled_event(self, event_id: str) -> MissedEvent | None:
        """`GET /v1/events/{id}`: Stripe's own copy of an event pulled earlier (what vouches for it on a retry);
        None once Stripe no longer has it (it keeps events 30 days)."""
        try:
            async with translated_errors("read event", self._key):
                event = await self._client.v1.events.retrieve_async(event_id)
        except ProviderError as refused:
            if refused.status == 404:
                return None
            raise
        raw = event.last_response.data if event.last_response is not None else None
        if not isinstance(raw, dict):
            raise ProviderError(PROVIDER, f"event {event_id} came back without its data")
        body = msgspec.json.encode(raw)
        return MissedEvent(translate(body), body)

    async def _payment_intent_of(self, payment: Payment) -> str:
        """Refunds, captures and voids name the PaymentIntent; the payment holds only the session id, which knows it."""
        if not payment.provider_reference:
            raise ProviderError(PROVIDER, f"payment {payment.id} has no Checkout Session")
        async with translated_errors("read checkout session", self._key):
            session = await self._client.v1.checkout.sessions.retrieve_async(payment.provider_reference)
        intent = session.payment_intent
        if intent is None:
            raise ProviderError(
                PROVIDER, f"Checkout Session {session.id} has no PaymentIntent: nothing was paid or held"
            )
        return intent if isinstance(intent, str) else intent.id
