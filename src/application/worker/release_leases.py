"""A worker that stops gives back the rows it still holds, so another takes them at once rather than after
the lease runs out."""

from __future__ import annotations

from dataclasses import dataclass

from application.messages import Command
from application.ports.notifications import NotificationStore
from application.ports.outbox import Outbox
from application.ports.webhook_events import WebhookRetryQueue


@dataclass(frozen=True, slots=True)
class ReleaseLeases(Command[None]):
    worker_id: str


class ReleaseLeasesHandler:
    def __init__(self, outbox: Outbox, notifications: NotificationStore, webhook_events: WebhookRetryQueue) -> None:
        self._outbox, self._notifications, self._webhook_events = outbox, notifications, webhook_events

    async def __call__(self, cmd: ReleaseLeases) -> None:
        await self._outbox.release(cmd.worker_id)
        await self._notifications.release(cmd.worker_id)
        await self._webhook_events.release(cmd.worker_id)
