"""The webhook inbox on SQLAlchemy Core, inside the unit of work's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from application.data.webhook_events import InboxEntry, InboxReceipt, InboxStatus
from infrastructure.db.conflicts import insert_or_ignore
from infrastructure.db.errors import store_errors
from infrastructure.db.tables import webhook_events

FIRST_RETRY_DELAY = timedelta(seconds=30)


class SqlAlchemyWebhookInbox:
    """Records each (provider, event id) once, in the same transaction as the change it causes: a crash can
    never leave an event "seen" but not applied. Concurrent duplicates on Postgres wait on the unique index
    for the first transaction, then find its row."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, entry: InboxEntry) -> InboxReceipt:
        insert = (
            insert_or_ignore(self._connection.dialect.name, webhook_events, ("provider", "event_id"))
            .values(
                id=entry.id,
                provider=entry.provider,
                event_id=entry.event_id,
                event_type=entry.event_type,
                status=InboxStatus.RECEIVED.value,
                headers=dict(entry.headers),
                body=entry.body,
                received_at=entry.received_at,
                attempts=0,
            )
            .returning(webhook_events.c.id)
        )
        existing = sa.select(webhook_events.c.id).where(
            webhook_events.c.provider == entry.provider, webhook_events.c.event_id == entry.event_id
        )
        with store_errors():
            inserted = (await self._connection.execute(insert)).scalar_one_or_none()
            if inserted is not None:
                return InboxReceipt(inserted, duplicate=False)
            return InboxReceipt((await self._connection.execute(existing)).scalar_one(), duplicate=True)

    async def mark(
        self, entry_id: str, status: InboxStatus, *, reason: str | None, payment_id: str | None, at: datetime
    ) -> None:
        values: dict[str, Any] = {"status": status.value, "reason": reason, "processed_at": at}
        if payment_id is not None:
            values["payment_id"] = payment_id
        if status is InboxStatus.FAILED:
            values["attempts"] = webhook_events.c.attempts + 1
            values["next_attempt_at"] = at + FIRST_RETRY_DELAY
        else:
            values["next_attempt_at"] = None
        with store_errors():
            await self._connection.execute(
                sa.update(webhook_events).where(webhook_events.c.id == entry_id).values(values)
            )
