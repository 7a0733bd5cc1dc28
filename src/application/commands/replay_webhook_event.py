"""Admin: run one stored webhook event again, whatever its status, through the webhook path."""

from __future__ import annotations

from dataclasses import dataclass

from application.data.cause import Cause
from application.data.webhook_events import StoredWebhook
from application.errors import WebhookBodyPurged, WebhookEventNotFound
from application.messages import Command
from application.ports.webhook_events import WebhookEventLog
from application.webhooks.processor import WebhookProcessor


@dataclass(frozen=True, slots=True)
class ReplayWebhookEvent(Command[StoredWebhook]):
    event_id: str  # our id, whe_…
    actor: str  # the API key's (or operator's) name, recorded in the audit trail


class ReplayWebhookEventHandler:
    """Verifies the stored event again (as of when it was received) and applies it through the same state
    machine: a processed event replayed changes nothing; a failed or dead one is applied if it now can be, and
    the change's audit rows name the admin. Returns the event as stored afterwards."""

    def __init__(self, events: WebhookEventLog, webhooks: WebhookProcessor) -> None:
        self._events, self._webhooks = events, webhooks

    async def __call__(self, cmd: ReplayWebhookEvent) -> StoredWebhook:
        stored = await self._events.get(cmd.event_id)
        if stored is None:
            raise WebhookEventNotFound(cmd.event_id)
        if stored.body_purged_at is not None:  # nothing left to verify: a forgery could never be told apart
            raise WebhookBodyPurged(cmd.event_id)
        await self._webhooks.reprocess(stored, Cause("admin", cmd.actor, stored.event_id))
        after = await self._events.get(cmd.event_id)
        if after is None:  # rows are never deleted; a store that lost it is broken, not "not found"
            raise RuntimeError(f"webhook event {cmd.event_id} vanished during its replay")
        return after
