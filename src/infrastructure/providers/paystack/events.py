"""Paystack webhooks translated into ProviderEvents (https://paystack.com/docs/payments/webhooks/#supported-events).

| event                   | action            | note                                                         |
|-------------------------|-------------------|--------------------------------------------------------------|
| `charge.success`        | PAYMENT_SUCCEEDED | needs confirmation: "verify before giving value" (adapter)   |
| `charge.dispute.create` | PAYMENT_DISPUTED  | the payment is named by the nested `transaction`              |
| `refund.processed`      | REFUND_SUCCEEDED  | amount is an int or a string of digits; matched by amount    |
| `refund.failed`         | REFUND_FAILED     | matched to our refund like `refund.processed`                |
| `refund.pending`, other | NONE              | stored, not acted on                                         |
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

import msgspec

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import MalformedWebhook
from infrastructure.providers.paystack.references import payment_id_in, payment_id_of
from infrastructure.providers.paystack.signature import PROVIDER
from infrastructure.providers.paystack.wire import Hook, HookData, HookTransaction, minor_units

ACTIONS: Mapping[str, EventAction] = {
    "charge.success": EventAction.PAYMENT_SUCCEEDED,
    "charge.dispute.create": EventAction.PAYMENT_DISPUTED,
    "refund.processed": EventAction.REFUND_SUCCEEDED,
    "refund.failed": EventAction.REFUND_FAILED,
    "refund.pending": EventAction.NONE,
}
_REFUND_EVENTS = frozenset({"refund.processed", "refund.failed", "refund.pending"})
_MAX_EVENT_ID = 200  # the inbox column holds 255


def translate(body: bytes) -> ProviderEvent:
    """A verified body → the event to store and apply. Raises MalformedWebhook for what we cannot read."""
    try:
        hook = msgspec.json.decode(body, type=Hook)
        return _translate(hook, body)
    except (msgspec.MsgspecError, ValueError) as error:
        raise MalformedWebhook(PROVIDER, f"unreadable body: {error}") from None


def dedupe_key(hook: Hook, body: bytes) -> str:
    """Paystack's events carry no id of their own. A delivery is the same event when it says the same thing
    about the same object: `event:data.id:data.status` (`charge.success:302961:success`). Refund events do not
    always carry `data.id`; then the refund reference, or the transaction and amount, name the object. A body
    naming nothing falls back to its hash, which still catches Paystack's retries (they resend the same body)."""
    data = hook.data
    ident: str | None = None
    if data.id is not None:
        ident = str(data.id)
    elif hook.event in _REFUND_EVENTS:
        ident = data.refund_reference or (
            f"{data.transaction_reference}/{data.amount}" if data.transaction_reference else None
        )
    else:
        ident = data.reference
    if ident is None:
        ident = "sha256=" + hashlib.sha256(body).hexdigest()
    key = ":".join(part for part in (hook.event, ident, data.status) if part)
    if len(key) > _MAX_EVENT_ID:
        key = f"{hook.event[:40]}:sha256={hashlib.sha256(key.encode()).hexdigest()}"
    return key


def _translate(hook: Hook, body: bytes) -> ProviderEvent:
    data = hook.data
    action = ACTIONS.get(hook.event, EventAction.NONE)
    event = ProviderEvent(
        provider=PROVIDER,
        event_id=dedupe_key(hook, body),
        event_type=hook.event,
        action=action,
        payment_id=_payment_id(data),
        provider_reference=data.reference or data.transaction_reference or _nested(data).reference,
        currency=data.currency.upper() if data.currency else None,
    )
    if hook.event == "charge.success":
        # Never trusted as sent: the adapter's `confirm` asks Paystack (GET /transaction/verify/:reference) and
        # the handler applies Paystack's own status, amount and currency. A charge we cannot verify (no
        # reference) or that is not ours is stored and never acted on.
        verifiable = event.payment_id is not None and data.reference is not None
        return replace(
            event,
            action=action if verifiable else EventAction.NONE,
            amount=minor_units(data.amount),
            occurred_at=_timestamp(data.paid_at),
            needs_confirmation=verifiable,
        )
    if hook.event in _REFUND_EVENTS:
        # `data.id`, when sent, is Paystack's refund id, which we stored as the refund's provider reference when
        # Paystack answered our call. The body names the transaction and often lacks that id (`refund_reference`
        # is the processor's, never known to us): the refund is matched by payment and amount (refund_matching).
        refund_id = str(data.id) if data.id is not None else None
        amount = None if data.amount is None and action is EventAction.NONE else minor_units(data.amount)
        reason = f"Paystack reports the refund {data.status or hook.event.removeprefix('refund.')}"
        # a final one is confirmed: the adapter asks which of our refunds Paystack reports in that state
        confirm = (
            action is not EventAction.NONE and event.payment_id is not None and event.provider_reference is not None
        )
        return replace(
            event, refund_id=refund_id, amount=amount, reason=reason, refund_by_amount=True, needs_confirmation=confirm
        )
    if hook.event == "charge.dispute.create":
        return replace(event, reason=f"Paystack dispute {data.id} opened ({data.status})")
    return event


def _payment_id(data: HookData) -> str | None:
    nested = _nested(data)
    for reference in (data.reference, data.transaction_reference, nested.reference):
        found = payment_id_of(reference)
        if found:
            return found
    return payment_id_in(data.metadata) or payment_id_in(nested.metadata)


def _nested(data: HookData) -> HookTransaction:
    return data.transaction if isinstance(data.transaction, HookTransaction) else HookTransaction()


def _timestamp(value: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed is not None and parsed.tzinfo is None else parsed
