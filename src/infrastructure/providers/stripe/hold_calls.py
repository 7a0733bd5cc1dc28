"""Stripe's calls for held payments: read a PaymentIntent, capture it, void it, or expire an open Checkout Session.

Every POST carries our own deterministic Idempotency-Key (params.py), so an answer lost in transit and asked for
again is Stripe's stored answer, never a second action. Voiding and expiring are safe to repeat: when Stripe
refuses because the thing is already done (a PaymentIntent `canceled`, a session `expired`), we read it back and
take that as done. A session that is already `complete` cannot be expired: the customer paid or authorized, and
the cancel is refused with `CheckoutAlreadyCompleted` (its own news follows by webhook).
"""

from __future__ import annotations

import stripe

from application.data.provider_news import ProviderCapture
from application.errors import CheckoutAlreadyCompleted, ProviderError
from domain.payments.payment import Payment
from domain.shared.money import Money
from infrastructure.providers.stripe import objects as o
from infrastructure.providers.stripe.errors import translated_errors
from infrastructure.providers.stripe.lookups import read_as
from infrastructure.providers.stripe.news import PROVIDER
from infrastructure.providers.stripe.params import (
    capture_idempotency_key,
    capture_params,
    expire_idempotency_key,
    void_idempotency_key,
)


class StripeHoldCalls:
    def __init__(self, client: stripe.StripeClient, secret_key: str) -> None:
        self._client, self._key = client, secret_key

    async def intent(self, intent_id: str) -> o.PaymentIntent:
        """The PaymentIntent with its latest charge expanded (the charge knows when the hold ends)."""
        async with translated_errors("read payment intent", self._key):
            found = await self._client.v1.payment_intents.retrieve_async(intent_id, {"expand": ["latest_charge"]})
        return read_as(o.PaymentIntent, found)

    async def capture(self, intent_id: str, payment: Payment, amount: Money) -> ProviderCapture:
        """Cards capture in the call (`succeeded`); anything else is settled later by webhook or lookup."""
        options: stripe.RequestOptions = {"idempotency_key": capture_idempotency_key(payment)}
        async with translated_errors("capture payment intent", self._key):
            captured = await self._client.v1.payment_intents.capture_async(intent_id, capture_params(amount), options)
        charge = captured.latest_charge
        reference = charge if isinstance(charge, str) else captured.id
        return ProviderCapture(captured.status == "succeeded", reference)

    async def void(self, intent_id: str, payment: Payment) -> None:
        options: stripe.RequestOptions = {"idempotency_key": void_idempotency_key(payment)}
        try:
            async with translated_errors("cancel payment intent", self._key):
                await self._client.v1.payment_intents.cancel_async(intent_id, None, options)
        except ProviderError:
            if (await self.intent(intent_id)).status != "canceled":
                raise  # e.g. already captured: not ours to undo by a cancel

    async def expire(self, session_id: str, payment: Payment) -> None:
        options: stripe.RequestOptions = {"idempotency_key": expire_idempotency_key(payment)}
        try:
            async with translated_errors("expire checkout session", self._key):
                await self._client.v1.checkout.sessions.expire_async(session_id, None, options)
        except ProviderError as refused:
            async with translated_errors("read checkout session", self._key):
                session = await self._client.v1.checkout.sessions.retrieve_async(session_id)
            if session.status == "expired":
                return
            if session.status == "complete":
                message = f"Checkout Session {session_id} is already complete: the customer has paid or authorized"
                raise CheckoutAlreadyCompleted(PROVIDER, message, refused.status) from None
            raise
