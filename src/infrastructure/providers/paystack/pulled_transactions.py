"""Paystack's recent transactions, read over its API for the janitor (https://paystack.com/docs/api/transaction/).

Paystack cannot list undelivered webhooks, but `GET /transaction?from=…&perPage=…&page=…` lists the
integration's transactions, newest first. Each pass turns every final transaction of ours (its reference, or
`metadata.payment_id`) into the news a verified webhook would have brought: a success under the key its
`charge.success` webhook has (`charge.success:<id>:success`, so one already received is a duplicate in the
inbox), a failure under the janitor lookup's key (`transaction.verify:<id>:failed`). The listed transaction is
Paystack's own word, read with our secret key: nothing is left to verify. Refunds still settle by their webhooks
(matched by amount) or the janitor's lookups.

A pulled event is vouched for again by reading its transaction once more (`GET /transaction/:id`): it is
applied only while Paystack still reports that status.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import msgspec

from application.data.provider_news import EventAction, MissedEvent, ProviderEvent
from application.errors import ProviderError
from infrastructure.providers.paystack.api import PaystackApi
from infrastructure.providers.paystack.references import payment_id_in, payment_id_of
from infrastructure.providers.paystack.verification import transaction_event
from infrastructure.providers.paystack.wire import Transaction

PER_PAGE = 100
# Each janitor pass reads at most this many pages, newest first: on a busy account the oldest transactions of the
# window are left to the janitor's lookups rather than making every pass (every 30 s) read thousands of them.
MAX_PAGES = 10
log = logging.getLogger(__name__)
_KINDS = ("charge.success", "transaction.verify")


async def listed_news(api: PaystackApi, since: datetime) -> list[MissedEvent]:
    """Final news of our transactions created since `since`, oldest first."""
    start = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    found: list[MissedEvent] = []
    for page in range(1, MAX_PAGES + 1):
        listed = await api.list_transactions(start, page, PER_PAGE)
        for raw in listed:
            event = news_of(msgspec.json.decode(raw, type=Transaction))
            if event is not None:
                found.append(MissedEvent(event, bytes(raw)))
        if len(listed) < PER_PAGE:
            found.reverse()
            return found
    log.warning("Paystack's transaction list is longer than %d pages: only the newest were read", MAX_PAGES)
    found.reverse()
    return found


async def fetched_news(api: PaystackApi, event_id: str) -> MissedEvent | None:
    """The pulled event while Paystack still reports it; None otherwise (or for an id no pull makes)."""
    kind, _, rest = event_id.partition(":")
    transaction_id = rest.partition(":")[0]
    if kind not in _KINDS or not transaction_id.isdigit():
        return None
    try:
        transaction = await api.fetch_transaction(transaction_id)
    except ProviderError as refused:
        if refused.status == 404:
            return None
        raise
    event = news_of(transaction)
    if event is None or event.event_id != event_id:
        return None
    return MissedEvent(event, msgspec.json.encode(transaction))


def news_of(transaction: Transaction) -> ProviderEvent | None:
    """What a final transaction of ours means; None for one not ours, not final, or reversed."""
    payment_id = payment_id_of(transaction.reference) or payment_id_in(transaction.metadata)
    if payment_id is None:
        return None
    kind = _KINDS[0] if transaction.status == "success" else _KINDS[1]
    event_id = f"{kind}:{transaction.id}:{transaction.status}"
    event = transaction_event(transaction, event_id=event_id, event_type=kind, payment_id=payment_id)
    return None if event is None or event.action is EventAction.NONE else event
