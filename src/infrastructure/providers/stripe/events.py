"""A Stripe webhook body → ProviderEvent (the adapter checks the signature first; news.py holds the meaning).

Event envelope: https://docs.stripe.com/api/events/object. Unknown event types are stored and not acted on; a
known type whose object cannot be read is malformed (400, nothing stored), like an unreadable envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import MalformedWebhook
from infrastructure.providers.decimal_amounts import AmountNotExact
from infrastructure.providers.stripe import holds
from infrastructure.providers.stripe import news as n
from infrastructure.providers.stripe import objects as o
from infrastructure.providers.stripe.news import PROVIDER, Envelope


def translate(body: bytes) -> ProviderEvent:
    try:
        event = _EVENT.decode(body)
    except msgspec.MsgspecError as error:
        raise MalformedWebhook(PROVIDER, f"unreadable event: {error}") from None
    envelope = Envelope(event.id, event.type, datetime.fromtimestamp(event.created, tz=UTC))
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return envelope.make(EventAction.NONE, reason=f"{event.type} is not an event we act on")
    decoder, translate_object = handler
    try:
        return translate_object(envelope, decoder.decode(event.data.object))
    except msgspec.MsgspecError as error:
        raise MalformedWebhook(PROVIDER, f"unreadable {event.type} object: {error}") from None
    except AmountNotExact as error:  # e.g. ISK not in whole krónur: not an amount we ever asked for
        return envelope.make(EventAction.NONE, reason=str(error))


_EVENT = msgspec.json.Decoder(o.Event)  # decoders made once: a decode with `type=` sets one up on every call
_HANDLERS_BY_KIND: dict[str, tuple[type[Any], Callable[[Envelope, Any], ProviderEvent]]] = {
    **dict.fromkeys(
        (
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
            "checkout.session.expired",
        ),
        (o.CheckoutSession, n.session_event),
    ),
    **dict.fromkeys(
        ("payment_intent.succeeded", "payment_intent.payment_failed"), (o.PaymentIntent, n.payment_intent_event)
    ),
    # manual capture: the hold is placed, voided or lapsed; `charge.captured` when it is taken
    **dict.fromkeys(
        ("payment_intent.amount_capturable_updated", "payment_intent.canceled"), (o.PaymentIntent, holds.intent_event)
    ),
    "charge.captured": (o.Charge, holds.charge_captured_event),
    **dict.fromkeys(("refund.created", "refund.updated", "refund.failed"), (o.Refund, n.refund_event)),
    "charge.refunded": (o.Charge, n.charge_refunded_event),
    "charge.dispute.created": (o.Dispute, n.dispute_event),
}
_HANDLERS = {name: (msgspec.json.Decoder(kind), translate) for name, (kind, translate) in _HANDLERS_BY_KIND.items()}
