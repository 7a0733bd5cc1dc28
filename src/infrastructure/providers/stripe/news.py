"""What one Stripe object means for us, per event type: the translation table of PROVIDERS.md.

A completed Checkout Session is paid only when its `payment_status` says so; delayed methods (bank debits)
complete `unpaid` and settle later with `async_payment_succeeded|failed`
(https://docs.stripe.com/checkout/fulfillment#delayed-notification). A manual-capture session completes `unpaid`
too, its funds only held. Which of the two an `unpaid` completion is only its PaymentIntent knows: the event
names it (`provider_reference`) and asks to be confirmed; `confirm` reads it (holds.py). A failed PaymentIntent
attempt does not end the session: the customer may try another card, so it is no news. Our payment id travels in
`metadata.payment_id` (session and PaymentIntent) and `client_reference_id`; our refund id in the refund's
`metadata.refund_id`. Amounts are converted from Stripe's units to our minor units (see currencies.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.data.provider_news import EventAction, ProviderEvent
from infrastructure.providers.stripe import objects as o
from infrastructure.providers.stripe.currencies import from_stripe

PROVIDER = "stripe"
PAID = frozenset({"paid", "no_payment_required"})
_A = EventAction
_REFUND_ACTIONS = {"succeeded": _A.REFUND_SUCCEEDED, "failed": _A.REFUND_FAILED, "canceled": _A.REFUND_FAILED}


@dataclass(frozen=True, slots=True)
class Envelope:
    event_id: str
    event_type: str
    occurred_at: datetime | None = None

    def make(
        self, action: EventAction, amount: int | None = None, currency: str | None = None, **kw: Any
    ) -> ProviderEvent:
        minor = None if amount is None or currency is None else from_stripe(amount, currency)
        upper = currency.upper() if currency else None
        return ProviderEvent(
            PROVIDER,
            self.event_id,
            self.event_type,
            action,
            amount=minor,
            currency=upper,
            occurred_at=self.occurred_at,
            **kw,
        )


def session_event(envelope: Envelope, session: o.CheckoutSession) -> ProviderEvent:
    action, reason, reference, ask = _A.NONE, None, session.id, False
    match envelope.event_type:
        case "checkout.session.completed" if session.payment_status in PAID:
            action = _A.PAYMENT_SUCCEEDED
        case "checkout.session.completed":
            reason = f"payment_status {session.payment_status}: waiting for checkout.session.async_payment_*"
            if session.payment_intent:  # a hold, or a delayed method: its PaymentIntent says which (`confirm`)
                reference, ask = session.payment_intent, True
        case "checkout.session.async_payment_succeeded":
            action = _A.PAYMENT_SUCCEEDED
        case "checkout.session.async_payment_failed":
            action, reason = _A.PAYMENT_FAILED, "the delayed payment method failed"
        case "checkout.session.expired":
            action = _A.PAYMENT_EXPIRED
    return envelope.make(
        action,
        session.amount_total,
        session.currency,
        payment_id=o.metadata_value(session.metadata, "payment_id") or session.client_reference_id,
        provider_reference=reference,
        reason=reason,
        needs_confirmation=ask,
    )


def payment_intent_event(envelope: Envelope, intent: o.PaymentIntent) -> ProviderEvent:
    payment_id = o.metadata_value(intent.metadata, "payment_id")
    if envelope.event_type == "payment_intent.succeeded":
        received = intent.amount_received if intent.amount_received is not None else intent.amount
        return envelope.make(_A.PAYMENT_SUCCEEDED, received, intent.currency, payment_id=payment_id)
    failure = intent.last_payment_error.message if intent.last_payment_error else None
    reason = f"an attempt failed ({failure or 'no reason given'}); the Checkout Session stays open for a retry"
    return envelope.make(_A.NONE, intent.amount, intent.currency, payment_id=payment_id, reason=reason)


def refund_event(envelope: Envelope, refund: o.Refund, payment_id: str | None = None) -> ProviderEvent:
    action = _REFUND_ACTIONS.get(refund.status or "", _A.NONE)
    reason = None
    if action is _A.REFUND_FAILED:
        reason = f"Stripe refund {refund.status}: {refund.failure_reason or 'no reason given'}"
    elif action is _A.NONE:
        reason = f"refund {refund.id} is {refund.status}: not final yet"
    return envelope.make(
        action,
        refund.amount,
        refund.currency,
        payment_id=o.metadata_value(refund.metadata, "payment_id") or payment_id,
        # Ours when we created it; otherwise Stripe's id, which matches the reference we stored on submission.
        refund_id=o.metadata_value(refund.metadata, "refund_id") or refund.id,
        provider_reference=refund.id,
        reason=reason,
    )


def charge_refunded_event(envelope: Envelope, charge: o.Charge) -> ProviderEvent:
    refunds = charge.refunds.data if charge.refunds else []
    payment_id = o.metadata_value(charge.metadata, "payment_id")
    if not refunds:
        reason = "the charge does not embed its refunds; the refund.* events settle each one"
        return envelope.make(_A.NONE, payment_id=payment_id, provider_reference=charge.id, reason=reason)
    # One event settles one refund: the newest is the one this event announces (older ones had their own).
    # Stripe lists refunds newest first, so on equal `created` seconds max() keeps the first listed.
    newest = max(refunds, key=lambda refund: refund.created)
    return refund_event(envelope, newest, payment_id)


def dispute_event(envelope: Envelope, dispute: o.Dispute) -> ProviderEvent:
    intent = dispute.payment_intent
    metadata = intent.metadata if isinstance(intent, o.PaymentIntent) else None
    payment_id = o.metadata_value(dispute.metadata, "payment_id") or o.metadata_value(metadata, "payment_id")
    reason = f"dispute {dispute.id}: {dispute.reason or 'no reason given'}"
    if payment_id is not None:
        return envelope.make(
            _A.PAYMENT_DISPUTED, dispute.amount, dispute.currency, payment_id=payment_id, reason=reason
        )
    if isinstance(intent, str):
        # Disputes do not copy metadata and webhooks do not expand: `confirm` reads the PaymentIntent's metadata.
        return envelope.make(
            _A.PAYMENT_DISPUTED,
            dispute.amount,
            dispute.currency,
            provider_reference=intent,
            reason=reason,
            needs_confirmation=True,
        )
    return envelope.make(_A.NONE, reason=f"{reason}; it names no PaymentIntent, so no payment of ours")
