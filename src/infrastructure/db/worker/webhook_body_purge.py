"""Drops aged raw webhook bodies and headers, keeping the inbox row (id, provider, type, outcome, timestamps).

One statement per batch: the oldest settled rows past retention (`ix_webhook_events_received_at`), taken with
`FOR UPDATE SKIP LOCKED` on Postgres so two workers purge disjoint rows. Rows still `received` or `failed` keep
their body: the worker's retries need it to verify and apply them (they are `dead` within the retry window,
PAYMENTS_RETRY_MAX_AGE_SECONDS, and purged with the next batch after that).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from application.data.webhook_events import InboxStatus
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import webhook_events as events

_SETTLED = tuple(s.value for s in (InboxStatus.PROCESSED, InboxStatus.IGNORED, InboxStatus.DEAD))
_AGED = (
    sa.select(events.c.id)
    .where(
        events.c.received_at < sa.bindparam("received_before", type_=events.c.received_at.type),
        events.c.body_purged_at.is_(None),
        events.c.status.in_(_SETTLED),
    )
    .order_by(events.c.received_at)
    .limit(sa.bindparam("limit", type_=sa.Integer))
    .with_for_update(skip_locked=True)
)
_PURGE = (
    sa.update(events)
    .where(events.c.id.in_(_AGED.scalar_subquery()))
    .values(
        body=sa.bindparam("no_body", type_=events.c.body.type),
        headers=sa.bindparam("no_headers", type_=events.c.headers.type),
        body_purged_at=sa.bindparam("at", type_=events.c.body_purged_at.type),
    )
    .returning(events.c.id)
)


class SqlWebhookBodyPurge:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def purge_bodies(self, received_before: datetime, at: datetime, limit: int) -> int:
        rows = await self._db.write(
            _PURGE, received_before=received_before, at=at, limit=limit, no_body=b"", no_headers={}
        )
        return len(rows)
