"""The outbox seen from the relay: leased claims (leases.py), then relayed (a batch at once) or failed, each one
statement."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa

from application.data.outbox import OutboxMessage
from infrastructure.db.sql.database import Database
from infrastructure.db.sql.json_rows import one_of
from infrastructure.db.tables import outbox
from infrastructure.db.worker.leases import claim_statement, release_statement

PENDING, RELAYED = "pending", "relayed"

_CLAIM = claim_statement(outbox, sa.and_(outbox.c.status == PENDING, outbox.c.next_attempt_at <= sa.bindparam("now")))
_THIS = outbox.c.id == sa.bindparam("message_id")
_RELAYED = (
    sa.update(outbox)
    .where(one_of(outbox.c.id, "messages"))
    .values(status=RELAYED, published_at=sa.bindparam("at"), last_error=None, claimed_by=None, claimed_until=None)
)
_FAILED = (
    sa.update(outbox)
    .where(_THIS)
    .values(
        attempts=outbox.c.attempts + 1,
        last_error=sa.bindparam("error"),
        next_attempt_at=sa.bindparam("due_at", type_=outbox.c.next_attempt_at.type),
        claimed_by=None,
        claimed_until=None,
    )
)
_RELEASE = release_statement(outbox, (PENDING,))
_PENDING_COUNT = sa.select(sa.func.count().label("pending")).select_from(outbox).where(outbox.c.status == PENDING)


class SqlOutbox:
    """Every method is one short statement: nothing stays open while the relay talks to the outside world."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def claim(self, worker: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        rows = await self._db.write(_CLAIM, worker=worker, now=now, until=now + lease, limit=limit)
        # RETURNING gives no order: relay oldest first, so a payment's events leave in the order they happened
        messages = (
            OutboxMessage(
                id=row["id"],
                event_type=row["event_type"],
                payment_id=row["aggregate_id"],
                payload=row["payload"],
                created_at=row["created_at"],
                attempts=row["attempts"],
                trace_context=row["trace_context"],
            )
            for row in rows
        )
        return sorted(messages, key=lambda m: (m.created_at, m.id))

    async def mark_relayed(self, message_ids: Collection[str], now: datetime) -> None:
        if message_ids:
            await self._db.execute(_RELAYED, messages=[{"id": message_id} for message_id in message_ids], at=now)

    async def mark_failed(self, message_id: str, error: str, next_attempt_at: datetime) -> None:
        await self._db.execute(_FAILED, message_id=message_id, error=error, due_at=next_attempt_at)

    async def release(self, worker: str) -> None:
        await self._db.execute(_RELEASE, worker=worker)

    async def pending_count(self) -> int:
        return int(await self._db.fetch_value(_PENDING_COUNT))
