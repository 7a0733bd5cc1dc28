"""The parts of Stripe's webhook JSON we read, as msgspec types (https://docs.stripe.com/api/events/object).

Only the fields we use are declared; Stripe adds fields freely, and unknown ones are ignored. A field of the
wrong type (an amount as a float or a string) fails decoding, which the caller turns into MalformedWebhook.
Metadata values are strings in Stripe's API; an expandable field is an id string or the expanded object.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Metadata = dict[str, str]
_NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
LAST_UNIX_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z: a later `created` is no datetime, so no event of Stripe's
_UnixTime = Annotated[int, msgspec.Meta(ge=0, le=LAST_UNIX_SECOND)]


class EventData(msgspec.Struct):
    object: msgspec.Raw  # decoded once we know the type


class Event(msgspec.Struct):
    id: _NonEmpty
    type: _NonEmpty
    created: _UnixTime
    data: EventData
    api_version: str | None = None


class CheckoutSession(msgspec.Struct):
    id: _NonEmpty
    client_reference_id: str | None = None
    metadata: Metadata | None = None
    amount_total: int | None = None
    currency: str | None = None
    payment_status: str | None = None  # paid | unpaid | no_payment_required
    status: str | None = None  # open | complete | expired
    payment_intent: str | None = None


class PaymentError(msgspec.Struct):
    message: str | None = None
    code: str | None = None


class PaymentIntent(msgspec.Struct):
    id: _NonEmpty
    amount: int | None = None
    amount_received: int | None = None
    amount_capturable: int | None = None  # what a capture may still take (manual capture: the hold)
    currency: str | None = None
    # requires_payment_method | requires_confirmation | requires_action | processing | requires_capture |
    # canceled | succeeded
    status: str | None = None
    capture_method: str | None = None  # automatic | automatic_async | manual
    cancellation_reason: str | None = None  # ours (duplicate, …) or Stripe's (automatic, expired, …)
    created: _UnixTime | None = None
    metadata: Metadata | None = None
    last_payment_error: PaymentError | None = None
    latest_charge: str | Charge | None = None  # an object only when we asked for it expanded


class Refund(msgspec.Struct):
    id: _NonEmpty
    amount: int | None = None
    currency: str | None = None
    status: str | None = None  # pending | requires_action | succeeded | failed | canceled
    metadata: Metadata | None = None
    payment_intent: str | None = None
    failure_reason: str | None = None
    created: int = 0


class RefundList(msgspec.Struct):
    data: list[Refund] = msgspec.field(default_factory=list)


class CardDetails(msgspec.Struct):
    # manual capture: when Stripe releases the hold if nothing was captured
    # (https://docs.stripe.com/api/charges/object#charge_object-payment_method_details-card-capture_before)
    capture_before: _UnixTime | None = None


class PaymentMethodDetails(msgspec.Struct):
    card: CardDetails | None = None


class Charge(msgspec.Struct):
    id: _NonEmpty
    amount: int | None = None
    amount_captured: int | None = None
    captured: bool | None = None  # false while a manual-capture charge only holds the funds
    currency: str | None = None
    metadata: Metadata | None = None
    payment_intent: str | None = None
    payment_method_details: PaymentMethodDetails | None = None
    # Since API version 2022-11-15 a charge no longer embeds its refunds unless expanded
    # (https://docs.stripe.com/upgrades#2022-11-15), and webhooks never expand.
    refunds: RefundList | None = None


class Dispute(msgspec.Struct):
    id: _NonEmpty
    amount: int | None = None
    currency: str | None = None
    reason: str | None = None
    charge: str | None = None
    payment_intent: str | PaymentIntent | None = None
    metadata: Metadata | None = None


def metadata_value(metadata: Metadata | None, key: str) -> str | None:
    value = (metadata or {}).get(key)
    return value or None
