from dataclasses import dataclass, replace

from application.data.webhook_events import StoredWebhook
from application.errors import WebhookEventNotFound
from application.messages import Query
from application.ports.webhook_events import WebhookEventLog

# Credentials are never stored (see handle_provider_webhook); filtered again here so a row written by anything
# else cannot show one.
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "proxy-authorization"})


@dataclass(frozen=True, slots=True)
class GetWebhookEvent(Query[StoredWebhook]):
    event_id: str


class GetWebhookEventHandler:
    """One received webhook event with its headers (minus secrets) and raw body."""

    def __init__(self, events: WebhookEventLog) -> None:
        self._events = events

    async def __call__(self, query: GetWebhookEvent) -> StoredWebhook:
        stored = await self._events.get(query.event_id)
        if stored is None:
            raise WebhookEventNotFound(query.event_id)
        headers = {k: v for k, v in stored.headers.items() if k.lower() not in SECRET_HEADERS}
        return replace(stored, headers=headers)
