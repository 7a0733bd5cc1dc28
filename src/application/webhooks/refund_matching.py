"""Which of our refunds a refund event is about, when the provider's event may not say.

Paystack's `refund.processed` / `refund.failed` name the transaction, not the refund: they carry our payment's
reference, the amount and currency, a processor reference we never saw, and not always Paystack's refund id
(the provider reference we stored when Paystack answered our refund call). Such events come marked
`refund_by_amount`, and are matched here, under the payment's row lock:

1. the event's `refund_id` names one of the payment's refunds: that one;
2. else the payment's oldest pending refund of exactly that amount (PROVIDERS.md), so the refund settles as the
   webhook arrives instead of minutes later through the janitor (for an event naming a Paystack refund id we do
   not know, a refund whose id we never learned comes first: its answer was lost);
3. else the latest settled refund of that amount: late news (`refund.failed` after `refund.processed`) is
   stored `ignored` (no change, or out of order) and changes nothing;
4. else it is an unknown refund, stored `failed` and retried, as before.

Paystack's own bodies carry no refund id (its documented examples: `transaction_reference`, `refund_reference`,
`amount`, `currency`, `processor`, `customer`), so step 2 is the rule and step 1 the exception.

Safety:
- two pending refunds of different amounts: the amount picks the right one;
- a redelivery has the same dedupe key (Paystack's refund id or the processor's reference, events.py) and is
  stopped by the inbox before it gets here, so one piece of news never settles two refunds;
- two refunds of the same amount cannot be told apart by such an event: the oldest pending one is settled (the
  one Paystack queued first). Known gap: if the janitor settled one of them first (its lookup runs 5 minutes
  after the refund at the earliest) and that refund's webhook then arrives, it settles the other one early.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from application.data.provider_news import EventAction, ProviderEvent
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.status import RefundStatus

_REFUND_ACTIONS = frozenset({EventAction.REFUND_SUCCEEDED, EventAction.REFUND_FAILED})


def with_matched_refund(payment: Payment, event: ProviderEvent) -> ProviderEvent:
    """`event`, with `refund_id` set to our refund's id when it is matched by amount; unchanged otherwise."""
    if not event.refund_by_amount or event.action not in _REFUND_ACTIONS or event.amount is None:
        return event
    if event.refund_id is not None and any(_named(refund, event.refund_id) for refund in payment.refunds):
        return event
    if event.currency is not None and event.currency.upper() != payment.amount.currency.code:
        return event  # another currency is not our refund (apply_event says so)
    candidates = [refund for refund in payment.refunds if refund.amount.amount == event.amount]
    pending = [refund for refund in candidates if refund.status is RefundStatus.PENDING]
    if pending:  # stable: the first reserved among equals
        return replace(event, refund_id=min(pending, key=lambda refund: _order(refund, event)).id)
    if candidates:  # late news of a settled refund: no change, or out of order
        return replace(event, refund_id=max(candidates, key=lambda refund: refund.updated_at).id)
    return event


def _named(refund: Refund, refund_id: str) -> bool:
    return refund_id in (refund.id, refund.provider_reference)


def _order(refund: Refund, event: ProviderEvent) -> tuple[bool, datetime]:
    """Oldest first; for an event naming a provider refund id we do not know, a refund whose provider id we never
    learned (its answer was lost) before one whose id we know (and which is not the one named)."""
    known_elsewhere = event.refund_id is not None and refund.provider_reference is not None
    return known_elsewhere, refund.created_at
