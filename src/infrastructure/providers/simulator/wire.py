"""The simulator's webhook wire format, and what it decides about refunds and captures.

    {"id": "evt_sim_…", "type": "payment.succeeded" | "payment.authorized" | "payment.failed"
                                | "refund.succeeded" | "refund.failed",
     "created": <unix seconds>,
     "data": {"payment_id": "pay_…", "refund_id": "re_…" (refund events only), "amount": <minor units>,
              "currency": "USD", "reason": "…" (failures only)}}

A settlement (a refund's outcome, a capture's success) is a pure function of what the service stores, so the
webhook sent after the settle delay and the janitor's lookup after a restart tell the same event, same id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated

import msgspec

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import MalformedWebhook
from domain.payments.payment import Payment
from domain.payments.refund import Refund

PROVIDER = "simulator"
FAIL_NOTE = "simulate:fail"
# How long an authorization holds the funds: as a card hold at Stripe, after which the janitor expires it.
AUTHORIZATION_HOLD = timedelta(days=7)

_ACTIONS: Mapping[str, EventAction] = {
    "payment.succeeded": EventAction.PAYMENT_SUCCEEDED,
    "payment.authorized": EventAction.PAYMENT_AUTHORIZED,
    "payment.failed": EventAction.PAYMENT_FAILED,
    "refund.succeeded": EventAction.REFUND_SUCCEEDED,
    "refund.failed": EventAction.REFUND_FAILED,
}
_REFUND_ACTIONS = frozenset({EventAction.REFUND_SUCCEEDED, EventAction.REFUND_FAILED})


class EventData(msgspec.Struct, omit_defaults=True):
    payment_id: Annotated[str, msgspec.Meta(min_length=1)]
    amount: Annotated[int, msgspec.Meta(ge=0)]
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
    refund_id: str | None = None
    reason: str | None = None


class Event(msgspec.Struct):
    id: Annotated[str, msgspec.Meta(min_length=1)]
    type: str
    created: Annotated[int, msgspec.Meta(ge=0)]
    data: EventData


def decode(body: bytes) -> ProviderEvent:
    try:
        event = msgspec.json.decode(body, type=Event)
        occurred_at = datetime.fromtimestamp(event.created, tz=UTC)
    except (msgspec.MsgspecError, ValueError, OverflowError, OSError) as error:
        raise MalformedWebhook(PROVIDER, f"unreadable body: {error}") from None
    return translate(event, occurred_at)


def refund_settlement(payment: Payment, refund: Refund, *, created: int) -> Event:
    """A refund fails when its note is exactly `simulate:fail` (API.md), else succeeds."""
    failed = refund.note == FAIL_NOTE
    return Event(
        id=f"evt_sim_{refund.id}",
        type="refund.failed" if failed else "refund.succeeded",
        created=created,
        data=EventData(
            payment_id=payment.id,
            refund_id=refund.id,
            amount=refund.amount.amount,
            currency=refund.amount.currency.code,
            reason=f"simulated failure: the refund's note is {FAIL_NOTE}" if failed else None,
        ),
    )


def capture_settlement(payment: Payment, amount: int, *, created: int) -> Event:
    """A capture always succeeds; one per authorization, so its event id is the payment's."""
    return Event(
        id=f"evt_sim_capture_{payment.id}",
        type="payment.succeeded",
        created=created,
        data=EventData(payment_id=payment.id, amount=amount, currency=payment.amount.currency.code),
    )


def translate(event: Event, occurred_at: datetime) -> ProviderEvent:
    action = _ACTIONS.get(event.type, EventAction.NONE)  # unknown types are stored, not acted on
    if action in _REFUND_ACTIONS and not event.data.refund_id:
        raise MalformedWebhook(PROVIDER, f"{event.type} event without data.refund_id")
    held = action is EventAction.PAYMENT_AUTHORIZED
    return ProviderEvent(
        provider=PROVIDER,
        event_id=event.id,
        event_type=event.type,
        action=action,
        payment_id=event.data.payment_id,
        provider_reference=f"sim_cs_{event.data.payment_id}",
        refund_id=event.data.refund_id,
        amount=event.data.amount,
        currency=event.data.currency,
        reason=event.data.reason,
        occurred_at=occurred_at,
        hold_until=occurred_at + AUTHORIZATION_HOLD if held else None,
    )
