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

Before steps 2 and 3, the adapter's `confirm` asks the provider which of our refunds are in the event's state
(Paystack: the transaction's refund list, our refund id in each one's merchant note; `vouched_refund_ids`), and
the match is made among those when any is the payment's. So when Paystack processes the newer of two equal
refunds first, or the janitor has already settled one of them, the webhook settles the refund Paystack means.
When the provider cannot say (unreachable, or its list does not show the new state yet), the match is by amount
alone, as above: the webhook still settles a refund the moment it arrives.

Safety:
- two pending refunds of different amounts: the amount picks the right one;
- a redelivery has the same dedupe key (Paystack's refund id or the processor's reference, events.py) and is
  stopped by the inbox before it gets here, so one piece of news never settles two refunds;
- two refunds of the same amount are told apart by the provider's list (above); only when it cannot be read is
  the oldest pending one settled (the one Paystack queued first).
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
    vouched = [refund for refund in candidates if refund.id in event.vouched_refund_ids]
    candidates = vouched or candidates  # the provider's word on which refunds are in this state, when it gave one
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
