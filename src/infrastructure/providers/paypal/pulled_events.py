"""PayPal's webhook events read over its API, for the janitor (https://developer.paypal.com/docs/api/webhooks/v1/).

`GET /v1/notifications/webhooks-events?start_time=…&end_time=…&page_size=…` lists the events PayPal made for our
app in a window, newest first, in pages linked by `rel: next`; `GET /v1/notifications/webhooks-events/{id}`
reads one. Both are authenticated with our OAuth token, so the events need no signature: each one's JSON, as
PayPal lists it, is translated exactly like a delivered webhook body (events.py) and kept as the inbox body.

PayPal's list has no "undelivered only" filter (Stripe's has): every event of the window is handed over, and
the inbox, keyed by PayPal's event id, makes the ones already received duplicates that change nothing. What
this adds is the event whose webhook never got through (our endpoint was down beyond PayPal's 3 days of
retries, or the delivery was lost): an approved order whose CHECKOUT.ORDER.APPROVED never came is captured.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import msgspec

from application.data.provider_news import MissedEvent
from application.errors import MalformedWebhook, ProviderError
from infrastructure.providers.paypal import wire
from infrastructure.providers.paypal.api import PayPalApi, segment
from infrastructure.providers.paypal.events import translate

log = logging.getLogger(__name__)

EVENTS = "/v1/notifications/webhooks-events"
PAGE_SIZE = 100
# Each janitor pass reads at most this many pages, newest first: on a busy account the oldest events of the window
# are left to the janitor's lookups rather than making every pass (every 30 s) read thousands of events.
MAX_PAGES = 10


class EventPage(msgspec.Struct, frozen=True):
    events: list[msgspec.Raw] = []
    links: list[wire.Link] = []


async def listed_events(api: PayPalApi, since: datetime, until: datetime) -> list[MissedEvent]:
    """Every event PayPal made from `since` to `until`, oldest first; an unreadable one is skipped and logged."""
    query = {"page_size": str(PAGE_SIZE), "start_time": _paypal_time(since), "end_time": _paypal_time(until)}
    path: str | None = f"{EVENTS}?{urlencode(query)}"
    listed: list[MissedEvent] = []
    for _ in range(MAX_PAGES):
        if path is None:
            listed.reverse()  # PayPal lists newest first; they are applied in the order they happened
            return listed
        page = await api.get(path, EventPage)
        for raw in page.events:
            body = bytes(raw)
            try:
                listed.append(MissedEvent(translate(body), body))
            except MalformedWebhook as unreadable:  # one unreadable event must not hide the others
                log.warning("skipped a PayPal event from the event list: %s", unreadable)
        path = _next_page(page.links)
    log.warning("PayPal's event list is longer than %d pages: only the newest were read", MAX_PAGES)
    listed.reverse()
    return listed


async def fetched_event(api: PayPalApi, event_id: str) -> MissedEvent | None:
    """PayPal's own copy of one event; None when PayPal does not know it (any more)."""
    try:
        raw = await api.get(f"{EVENTS}/{segment(event_id)}", msgspec.Raw)
    except ProviderError as refused:
        if refused.status == 404:
            return None
        raise
    body = bytes(raw)
    return MissedEvent(translate(body), body)


def _next_page(links: list[wire.Link]) -> str | None:
    """The next page's path and query on our own API base: a link's host is never followed."""
    for link in links:
        if link.rel == "next":
            parts = urlsplit(link.href)
            if parts.path == EVENTS and parts.query:
                return f"{parts.path}?{parts.query}"
    return None


def _paypal_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
