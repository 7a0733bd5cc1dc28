"""Which of our refunds a refund event is about, when the provider's event may not say.

Paystack's `refund.processed` / `refund.failed` name the transaction, not the refund: they carry our payment's
reference, the amount and currency, a processor reference we never saw, and not always Paystack's refund id
(the provider reference we stored when Paystack answered our refund call). Such events come marked
`refund_by_amount`, and are matched here, under the payment's row lock:

1. the event's `refund_id` names one of the payment's refunds: that one;
2. else the payment's oldest pending refund of exactly that amount (PROVIDERS.md), so the refund settles as the
   webhook arrives instead of minutes later through the janitor;
3. else, for an event naming no refund id, the latest settled refund of that amount: late news (`refund.failed`
   after `refund.processed`) is stored `ignored` (no change, or out of order) and changes nothing;
4. else it is an unknown refund, stored `failed` and retried, as before.

Safety:
- two pending refunds of different amounts: the amount picks the right one;
- an event naming a Paystack refund id we do not know is not about a refund whose id we do know: only refunds
  with no provider reference yet (their answer was lost) are candidates for it;
- a redelivery has the same dedupe key (Paystack's refund id or the processor's reference, events.py) and is
  stopped by the inbox before it gets here, so one piece of news never settles two refunds;
- two refunds of the same amount cannot be told apart by such an event: the oldest pending one is settled (the
  one Paystack queued first). Known gap: if the janitor settled one of them first (its lookup runs 5 minutes
  after the refund at the earliest) and that refund's webhook then arrives, it settles the other one early.
"""

from __future__ import annotations

from dataclasses import replace

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
    candidates = [refund for refund in payment.refunds if _candidate(refund, event)]
    pending = [refund for refund in candidates if refund.status is RefundStatus.PENDING]
    if pending:
        oldest = min(pending, key=lambda refund: refund.created_at)  # stable: the first reserved among equals
        return replace(event, refund_id=oldest.id)
    if candidates and event.refund_id is None:  # late news of a settled refund: no change, or out of order
        latest = max(candidates, key=lambda refund: refund.updated_at)
        return replace(event, refund_id=latest.id)
    return event


def _named(refund: Refund, refund_id: str) -> bool:
    return refund_id in (refund.id, refund.provider_reference)


def _candidate(refund: Refund, event: ProviderEvent) -> bool:
    if refund.amount.amount != event.amount:
        return False
    # an event naming a provider refund id we do not know is about none of the refunds whose id we do know
    return event.refund_id is None or refund.provider_reference is None
