"""Flutterwave webhook bodies → ProviderEvent, as received (before `confirm` re-verifies them).

v3 (https://developer.flutterwave.com/docs/webhooks): `{"event": "charge.completed", "data": {"id": 4975363,
"tx_ref": "<our payment id>", "amount": 100.5, "currency": "NGN", "status": "successful"|"failed", …}}`.
It carries no event id, so the dedupe key is built from `data.id` + status (PROVIDERS.md), namespaced by the
event name (transaction and refund ids are separate number spaces); see `charge_event_id` for the rest.
v3 accounts also get `refund.completed` (not in PROVIDERS.md; its shape as integrations in the wild read it:
`data.id` the refund, `data.TransactionId`, `data.comments`, no tx_ref and no currency), so a refund event can
only be linked to our payment by asking the API: it is confirmable, and the API's answer decides.
v4: `{"id": "wbk_…", "type": "charge.completed", "data": {"id": "chg_…", "reference": "<our payment id>",
"status": "succeeded"|"failed", …}}`, deduped on the top-level id. The legacy (pre-v3) format with top-level
`txRef` is refused as malformed: enable v3 webhooks in the dashboard (the 400s show in its delivery log).

Amounts are decimal major units: decoded as Decimal (never float) and converted exactly with `to_minor`.
Events that give or take value are `needs_confirmation=True`: the v3 header is a shared secret, not a
signature, and Flutterwave's own advice is to verify a transaction through the API before giving value.
A `failed` charge is confirmed too: `failed` is terminal for us, so a forged or misattributed one would
make us ignore the real success that follows it; one GET is a cheap price for that.
"""

from __future__ import annotations

import hashlib

import msgspec

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import MalformedWebhook
from infrastructure.providers.decimal_amounts import AmountNotExact, to_minor
from infrastructure.providers.flutterwave.wire import (
    PROVIDER,
    Body,
    V3Charge,
    V3Refund,
    V4Charge,
    currency_of,
    decode_data,
    failure,
    numeric,
    timestamp,
)

CHARGE_COMPLETED = "charge.completed"
REFUND_COMPLETED = "refund.completed"

V3_CHARGE_ACTIONS = {"successful": EventAction.PAYMENT_SUCCEEDED, "failed": EventAction.PAYMENT_FAILED}
V4_CHARGE_ACTIONS = {"succeeded": EventAction.PAYMENT_SUCCEEDED, "failed": EventAction.PAYMENT_FAILED}
REFUND_ACTIONS = {"completed": EventAction.REFUND_SUCCEEDED, "failed": EventAction.REFUND_FAILED}


def parse(body: bytes) -> ProviderEvent:
    event = _translate(body)
    # Our inbox's columns (event id 255, type 64, payment id 64): nothing Flutterwave sends is longer, and
    # refusing here beats a database error after the event was accepted.
    if len(event.event_id) > 255 or len(event.event_type) > 64 or len(event.payment_id or "") > 64:
        raise MalformedWebhook(PROVIDER, "event id, type or reference is implausibly long")
    return event


def charge_event_id(transaction_id: str, status: str, tx_ref: str, amount: int, currency: str) -> str:
    """`data.id` + status, plus a digest of what the event claims (tx_ref, amount, currency). A transaction
    keeps those forever, so Flutterwave's re-deliveries still collide; but a forged event (the v3 header is
    only a shared secret) can no longer take a real transaction's key, be refused by `confirm`, and leave
    the genuine delivery to be dropped as its duplicate."""
    claim = hashlib.sha256(f"{tx_ref}|{amount}|{currency}".encode()).hexdigest()[:12]
    return f"{CHARGE_COMPLETED}:{transaction_id}:{status}:{claim}"


def _translate(body: bytes) -> ProviderEvent:
    try:
        envelope = msgspec.json.decode(body, type=Body)
    except msgspec.MsgspecError as error:
        raise MalformedWebhook(PROVIDER, f"unreadable body: {error}") from None
    if envelope.event is not None:
        if envelope.event == CHARGE_COMPLETED:
            return _v3_charge(decode_data(envelope, V3Charge))
        if envelope.event == REFUND_COMPLETED:
            return _v3_refund(decode_data(envelope, V3Refund))
        digest = hashlib.sha256(body).hexdigest()[:32]  # no id given: identical bytes are the same delivery
        return ProviderEvent(PROVIDER, f"{envelope.event}:{digest}", envelope.event, EventAction.NONE)
    if envelope.type is not None:
        if not isinstance(envelope.id, str) or not envelope.id:
            raise MalformedWebhook(PROVIDER, "v4 event without a top-level id")
        if envelope.type == CHARGE_COMPLETED:
            return _v4_charge(envelope.id, decode_data(envelope, V4Charge))
        return ProviderEvent(PROVIDER, envelope.id, envelope.type, EventAction.NONE)
    raise MalformedWebhook(PROVIDER, "body has neither `event` (v3) nor `type` (v4)")


def _v3_charge(data: V3Charge) -> ProviderEvent:
    transaction_id, status = numeric(data.id, "data.id"), data.status.lower()
    currency = currency_of(data.currency)
    try:
        amount = to_minor(data.amount, currency)
    except AmountNotExact as error:
        raise MalformedWebhook(PROVIDER, f"data.amount: {error}") from None
    action = V3_CHARGE_ACTIONS.get(status, EventAction.NONE)
    return ProviderEvent(
        provider=PROVIDER,
        event_id=charge_event_id(transaction_id, status, data.tx_ref, amount, currency.code),
        event_type=CHARGE_COMPLETED,
        action=action,
        payment_id=data.tx_ref,
        provider_reference=transaction_id,  # what `confirm` verifies: GET /v3/transactions/{id}/verify
        amount=amount,
        currency=currency.code,
        reason=failure(data.processor_response) if action is EventAction.PAYMENT_FAILED else None,
        occurred_at=timestamp(data.created_at),
        needs_confirmation=action is not EventAction.NONE,
    )


def _v3_refund(data: V3Refund) -> ProviderEvent:
    refund_id, status = numeric(data.id, "data.id"), data.status.lower()
    action = REFUND_ACTIONS.get(status, EventAction.NONE)
    return ProviderEvent(
        provider=PROVIDER,
        event_id=f"{REFUND_COMPLETED}:{refund_id}:{status}",
        event_type=REFUND_COMPLETED,
        action=action,
        provider_reference=None if data.transaction_id is None else str(data.transaction_id),
        refund_id=refund_id,  # Flutterwave's; `confirm` swaps in ours when the refund's comments carry it
        needs_confirmation=action is not EventAction.NONE,
    )


def _v4_charge(event_id: str, data: V4Charge) -> ProviderEvent:
    # v4 amounts' units are not confirmed anywhere we trust, so the event's amount is not read at all:
    # `confirm` takes amount and currency from the v3 verify answer, which the handler checks against ours.
    action = V4_CHARGE_ACTIONS.get(data.status.lower(), EventAction.NONE)
    return ProviderEvent(
        provider=PROVIDER,
        event_id=event_id,
        event_type=CHARGE_COMPLETED,
        action=action,
        payment_id=data.reference,
        provider_reference=data.id,  # "chg_…": not numeric, so `confirm` verifies by our reference instead
        currency=None if data.currency is None else currency_of(data.currency).code,
        occurred_at=timestamp(data.created_datetime),
        needs_confirmation=action is not EventAction.NONE,
    )
