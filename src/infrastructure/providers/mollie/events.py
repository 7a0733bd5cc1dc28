"""A payment fetched from Mollie (and its refunds) → the ProviderEvents it means for us.

Mollie's webhook says only "something about tr_… changed" (API.md, PROVIDERS.md): the news is what we fetch. So
an event is identified by what was learned, `"<tr_…>:<status>"` and `"<re_…>:<status>"`: fetching twice after
one change, or a webhook and the janitor asking about the same change, yields the same keys (the inbox keeps
one), while every real change of status yields a new one.

Payment statuses (https://docs.mollie.com/reference/v2/payments-api/get-payment): `paid` → succeeded, with
Mollie's amount and currency in minor units, which the handler compares with ours; `failed` → failed;
`expired` → expired; `canceled` → failed with the reason "canceled by the customer". The port has no
"cancelled by the provider", and our `cancelled` means someone here decided it (our own cancel of an open
checkout is ours alone; we never cancel a Mollie payment through its API). Mollie's `canceled` is the customer
leaving the hosted page with "cancel": this attempt ended without money, which is what `failed` says, and a new
checkout for the order stays allowed. `open`, `pending` and `authorized` are not final: no event
(`authorized` waits for a capture we never make).

Refund statuses (https://docs.mollie.com/payments/refunds): `refunded` → succeeded; `failed` and `canceled` →
failed; `queued`, `pending` and `processing` → no event. The refund is named by our refund id from its
`metadata.refund_id` (we set it), else by Mollie's `re_…`, which the payment also knows once the refund call
answered (`Payment.refund` matches either).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

from application.data.provider_news import EventAction, ProviderEvent
from infrastructure.providers.mollie import wire
from infrastructure.providers.mollie.amounts import UnreadableAmount, from_mollie
from infrastructure.providers.mollie.wire import PROVIDER, ours

log = logging.getLogger(__name__)

PAYMENT_ACTIONS = {
    "paid": EventAction.PAYMENT_SUCCEEDED,
    "failed": EventAction.PAYMENT_FAILED,
    "expired": EventAction.PAYMENT_EXPIRED,
    "canceled": EventAction.PAYMENT_FAILED,
}
REFUND_ACTIONS = {
    "refunded": EventAction.REFUND_SUCCEEDED,
    "failed": EventAction.REFUND_FAILED,
    "canceled": EventAction.REFUND_FAILED,
}
_REASONS = {
    "failed": "Mollie reports the payment failed",
    "expired": "Mollie reports the payment expired",
    "canceled": "canceled by the customer",
}


def translate(payment: wire.Payment, refunds: list[wire.Refund]) -> list[ProviderEvent]:
    """The payment's final news first (a refund only applies to a succeeded payment), then each refund's."""
    found = [payment_event(payment)]
    found += [refund_event(refund, payment) for refund in refunds]
    return [event for event in found if event is not None]


def payment_event(payment: wire.Payment) -> ProviderEvent | None:
    action = PAYMENT_ACTIONS.get(payment.status)
    if action is None:
        return None
    event = ProviderEvent(
        provider=PROVIDER,
        event_id=f"{payment.id}:{payment.status}",
        event_type=f"payment.{payment.status}",
        action=action,
        payment_id=ours(payment.metadata, "payment_id"),
        provider_reference=payment.id,
        reason=_REASONS.get(payment.status),
        occurred_at=timestamp(payment.paid_at or payment.failed_at or payment.expired_at or payment.canceled_at),
    )
    return _with_amount(event, payment.amount)


def refund_event(refund: wire.Refund, payment: wire.Payment) -> ProviderEvent | None:
    action = REFUND_ACTIONS.get(refund.status)
    if action is None:
        return None
    event = ProviderEvent(
        provider=PROVIDER,
        event_id=f"{refund.id}:{refund.status}",
        event_type=f"refund.{refund.status}",
        action=action,
        payment_id=ours(payment.metadata, "payment_id"),
        provider_reference=payment.id,
        refund_id=ours(refund.metadata, "refund_id") or refund.id,
        reason=None if action is EventAction.REFUND_SUCCEEDED else f"Mollie reports the refund {refund.status}",
    )
    if refund.payment_id is not None and refund.payment_id != payment.id:
        return _no_action(event, f"refund {refund.id} belongs to {refund.payment_id}, not {payment.id}")
    return _with_amount(event, refund.amount)


def _with_amount(event: ProviderEvent, amount: wire.Amount) -> ProviderEvent:
    """Mollie's own amount, so the handler compares it with ours; one we cannot read exactly is acted on never
    (an event without an amount would skip that comparison)."""
    try:
        minor, currency = from_mollie(amount)
    except UnreadableAmount as error:
        return _no_action(event, f"unreadable amount {error}")
    return replace(event, amount=minor, currency=currency)


def _no_action(event: ProviderEvent, why: str) -> ProviderEvent:
    log.warning("mollie %s not applied: %s", event.event_id, why)
    return replace(event, action=EventAction.NONE, reason=why)


def timestamp(value: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None  # informative only: an odd timestamp must not cost us the event
    return parsed.replace(tzinfo=UTC) if parsed is not None and parsed.tzinfo is None else parsed
