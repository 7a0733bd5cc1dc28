"""What Stripe's current objects say, as events to apply (janitor, reconciliation); None when nothing is final.

The event ids are derived from the object and its state, so asking twice yields the same event (a duplicate to
the inbox), while a later, different state is a new one.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec
import stripe

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import ProviderError
from domain.payments.payment import Payment
from infrastructure.providers.decimal_amounts import AmountNotExact
from infrastructure.providers.stripe import holds
from infrastructure.providers.stripe import objects as o
from infrastructure.providers.stripe.news import PAID, PROVIDER, Envelope, refund_event

T = TypeVar("T")


def session_news(sdk_session: stripe.checkout.Session, payment_id: str) -> ProviderEvent | None:
    session = read_as(o.CheckoutSession, sdk_session)
    if session.payment_status in PAID:
        action, state = EventAction.PAYMENT_SUCCEEDED, "paid"
    elif session.status == "expired":
        action, state = EventAction.PAYMENT_EXPIRED, "expired"
    else:
        return None  # open, or complete but unpaid (a delayed method still settling)
    envelope = Envelope(f"lookup_{session.id}_{state}", f"checkout.session.lookup.{state}")
    try:
        return envelope.make(
            action,
            session.amount_total,
            session.currency,
            payment_id=o.metadata_value(session.metadata, "payment_id") or session.client_reference_id or payment_id,
            provider_reference=session.id,
        )
    except AmountNotExact as error:
        return envelope.make(EventAction.NONE, payment_id=payment_id, reason=str(error))


def hold_news(intent: o.PaymentIntent, payment: Payment) -> ProviderEvent | None:
    """A manual-capture payment whose Checkout Session is complete, as its PaymentIntent stands: held (news only
    to a payment that does not know it yet; it keeps the janitor from expiring a hold Stripe still keeps, and
    tells it that a capture we asked for long ago was never made), captured, voided or lapsed."""
    envelope = Envelope(f"lookup_{intent.id}_{intent.status}", f"payment_intent.lookup.{intent.status}")
    try:
        event = holds.intent_event(envelope, intent, payment.id)
    except AmountNotExact as error:
        return envelope.make(EventAction.NONE, payment_id=payment.id, reason=str(error))
    return None if event.action is EventAction.NONE else event


def refund_news(sdk_refund: stripe.Refund, payment_id: str, refund_id: str) -> ProviderEvent | None:
    refund = read_as(o.Refund, sdk_refund)
    envelope = Envelope(f"lookup_{refund.id}_{refund.status}", f"refund.lookup.{refund.status}")
    try:
        event = refund_event(envelope, refund, payment_id)
    except AmountNotExact as error:
        return envelope.make(EventAction.NONE, payment_id=payment_id, refund_id=refund_id, reason=str(error))
    if event.action is EventAction.NONE:
        return None
    return event


def metadata(sdk_object: stripe.StripeObject, key: str) -> str | None:
    """One metadata value of an SDK object (whose typed `metadata` hides dict methods behind attributes)."""
    values = sdk_object.to_dict().get("metadata")
    value = values.get(key) if isinstance(values, dict) else None
    return value if isinstance(value, str) and value else None


def read_as(kind: type[T], sdk_object: stripe.StripeObject) -> T:
    try:
        return msgspec.convert(sdk_object.to_dict(), kind)
    except msgspec.ValidationError as error:
        raise ProviderError(PROVIDER, f"unreadable {kind.__name__} from Stripe: {error}") from None
