"""Mollie's recent payments, read over its API for the janitor (https://docs.mollie.com/reference/list-payments).

Mollie has no list of undelivered webhooks, but `GET /v2/payments` lists the account's payments, newest first.
Each pass reads back to the janitor's window and turns every payment of ours (its `metadata.payment_id`) that
has a final status into the event its webhook would have made us fetch (`events.payment_event`: `tr_…:paid`),
so a payment whose webhook never came is settled now, and one already settled is a duplicate in the inbox. A
refund's news still comes from the payment's webhook or the janitor's lookup (listing every paid payment's
refunds each pass would cost one call per payment).

A pulled event is vouched for again by reading the payment once more (`GET /v2/payments/{id}`): it is applied
only while Mollie still reports that same status.
"""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec

from application.data.provider_news import MissedEvent
from application.errors import ProviderError
from infrastructure.providers.mollie import wire
from infrastructure.providers.mollie.api import MollieApi
from infrastructure.providers.mollie.events import payment_event, timestamp

# Each janitor pass reads at most this many pages, newest first: on a busy account the oldest payments of the
# window are left to the janitor's lookups rather than making every pass (every 30 s) read thousands of them.
MAX_PAGES = 4
log = logging.getLogger(__name__)


async def listed_news(api: MollieApi, since: datetime) -> list[MissedEvent]:
    """Final news of our payments created since `since`, oldest first."""
    found: list[MissedEvent] = []
    start: str | None = None
    for _ in range(MAX_PAGES):
        payments, start = await api.payments_page(start)
        for raw in payments:
            payment = msgspec.json.decode(raw, type=wire.Payment)
            created = timestamp(payment.created_at)
            if created is not None and created < since:
                start = None  # newest first: everything after this is older than the window
                break
            event = payment_event(payment)
            if event is not None and event.payment_id is not None:
                found.append(MissedEvent(event, bytes(raw)))
        if start is None:
            found.reverse()
            return found
    log.warning("Mollie's payment list reaches past %d pages in the window: only the newest were read", MAX_PAGES)
    found.reverse()
    return found


async def fetched_news(api: MollieApi, event_id: str) -> MissedEvent | None:
    """The pulled event `tr_…:<status>` while Mollie still says so; None otherwise (or for any other id)."""
    payment_id, _, _ = event_id.partition(":")
    if not payment_id.startswith("tr_"):
        return None
    try:
        payment = await api.get_payment(payment_id)
    except ProviderError as refused:
        if refused.status == 404:
            return None
        raise
    event = payment_event(payment)
    if event is None or event.event_id != event_id:
        return None
    return MissedEvent(event, msgspec.json.encode(payment))
