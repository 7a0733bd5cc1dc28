"""What a PaymentIntent's state means for a payment whose funds are held (manual capture,
https://docs.stripe.com/payments/place-a-hold-on-a-payment-method); read from webhooks, `confirm` and lookups.

- `requires_capture`: the customer authorized; `amount_capturable` is held until the charge's
  `payment_method_details.card.capture_before`, or, when the charge is not at hand (webhooks never expand it),
  until 7 days after the PaymentIntent was created ("Uncaptured PaymentIntents are cancelled a set number of days
  (7 by default) after their creation", https://docs.stripe.com/api/payment_intents/capture).
- `succeeded`: captured; `amount_received` is what was taken (a partial capture takes less than `amount`).
- `canceled`: voided (by us, or by someone in Stripe's dashboard) or let go by Stripe itself, which we call
  expired: `cancellation_reason` `automatic` when the hold lapsed uncaptured, `expired` when its Checkout
  Session expired before the customer finished.
- anything else (`processing`: a delayed method still settling; `requires_payment_method`: the customer is still
  trying): nothing final.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from application.data.provider_news import EventAction, ProviderEvent
from infrastructure.providers.stripe import objects as o
from infrastructure.providers.stripe.news import Envelope

HOLD_PERIOD = timedelta(days=7)
LET_GO_BY_STRIPE = frozenset({"automatic", "expired"})
_A = EventAction


def hold_until(intent: o.PaymentIntent) -> datetime | None:
    charge = intent.latest_charge
    details = charge.payment_method_details if isinstance(charge, o.Charge) else None
    card = details.card if details is not None else None
    if card is not None and card.capture_before is not None:
        return datetime.fromtimestamp(card.capture_before, tz=UTC)
    if intent.created is not None:
        return datetime.fromtimestamp(intent.created, tz=UTC) + HOLD_PERIOD
    return None


def intent_event(envelope: Envelope, intent: o.PaymentIntent, payment_id: str | None = None) -> ProviderEvent:
    """The PaymentIntent's state as news about our payment (named by its metadata, else `payment_id`)."""
    ours = o.metadata_value(intent.metadata, "payment_id") or payment_id
    reason = intent.cancellation_reason
    match intent.status:
        case "requires_capture":
            return envelope.make(
                _A.PAYMENT_AUTHORIZED,
                intent.amount_capturable,
                intent.currency,
                payment_id=ours,
                provider_reference=intent.id,
                hold_until=hold_until(intent),
            )
        case "succeeded":
            received = intent.amount_received if intent.amount_received is not None else intent.amount
            return envelope.make(
                _A.PAYMENT_SUCCEEDED, received, intent.currency, payment_id=ours, provider_reference=intent.id
            )
        case "canceled" if reason in LET_GO_BY_STRIPE:
            why = f"Stripe cancelled PaymentIntent {intent.id} ({reason}): the hold lapsed or the checkout expired"
            return envelope.make(_A.PAYMENT_EXPIRED, payment_id=ours, provider_reference=intent.id, reason=why)
        case "canceled":
            why = f"PaymentIntent {intent.id} was canceled ({reason or 'no reason given'}): the hold is voided"
            return envelope.make(_A.PAYMENT_CANCELLED, payment_id=ours, provider_reference=intent.id, reason=why)
    why = f"PaymentIntent {intent.id} is {intent.status}: nothing final yet"
    return envelope.make(_A.NONE, payment_id=ours, provider_reference=intent.id, reason=why)


def confirmed(event: ProviderEvent, intent: o.PaymentIntent) -> ProviderEvent:
    """A completed but unpaid Checkout Session, judged by its PaymentIntent as read from Stripe just now: a hold,
    money taken (a delayed method settled, or a capture already made), a void, or still nothing final."""
    envelope = Envelope(event.event_id, event.event_type, event.occurred_at)
    judged = intent_event(envelope, intent, event.payment_id)
    reason = judged.reason if judged.action is not _A.NONE else f"{event.reason}; {judged.reason}"
    return replace(judged, payment_id=event.payment_id or judged.payment_id, reason=reason)


def charge_captured_event(envelope: Envelope, charge: o.Charge) -> ProviderEvent:
    """`charge.captured`: the held charge was captured; `amount_captured` is what was taken."""
    payment_id = o.metadata_value(charge.metadata, "payment_id")
    if not charge.captured:
        return envelope.make(_A.NONE, payment_id=payment_id, reason=f"charge {charge.id} is not captured")
    return envelope.make(
        _A.PAYMENT_SUCCEEDED,
        charge.amount_captured,
        charge.currency,
        payment_id=payment_id,
        provider_reference=charge.payment_intent or charge.id,
    )
