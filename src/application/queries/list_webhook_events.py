from dataclasses import dataclass, field

from application.data.webhook_events import WebhookEventFilter, WebhookEventPage
from application.messages import Query
from application.ports.webhook_events import WebhookEventLog
from application.queries.paging import page_size


@dataclass(frozen=True, slots=True)
class ListWebhookEvents(Query[WebhookEventPage]):
    filters: WebhookEventFilter = field(default_factory=WebhookEventFilter)
    limit: int = 50
    cursor: str | None = None


class ListWebhookEventsHandler:
    """Received webhook events, newest first, keyset-paginated; filtered by provider and status."""

    def __init__(self, events: WebhookEventLog) -> None:
        self._events = events

    async def __call__(self, query: ListWebhookEvents) -> WebhookEventPage:
        limit = page_size(query.limit)
        return await self._events.page(query.filters, limit, query.cursor)
