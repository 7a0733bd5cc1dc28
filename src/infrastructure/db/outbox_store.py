"""The outbox on SQLAlchemy Core, seen from the relay: leased claims, then relayed or failed (see leases.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.outbox import OutboxMessage
from infrastructure.db.engine import for_reads
from infrastructure.db.errors import store_errors
from infrastructure.db.leases import claim_statement, release_statement
from infrastructure.db.tables import outbox

PENDING, RELAYED = "pending", "relayed"


class SqlAlchemyOutbox:
    """Every method is one short transaction: nothing stays open while the relay talks to the outside world."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine, self._reads = engine, for_reads(engine)

    async def claim(self, worker: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        statement = claim_statement(outbox, (PENDING,), worker, now, lease, limit, self._engine.dialect.name)
        with store_errors():
            async with self._engine.begin() as connection:
                rows = (await connection.execute(statement)).mappings().all()
        # RETURNING gives no order: relay oldest first, so a payment's events leave in the order they happened
        return sorted(
            (
                OutboxMessage(
                    id=row["id"],
                    event_type=row["event_type"],
                    payment_id=row["aggregate_id"],
                    payload=row["payload"],
                    created_at=row["created_at"],
                    attempts=row["attempts"],
                )
                for row in rows
            ),
            key=lambda m: (m.created_at, m.id),
        )

    async def mark_relayed(self, message_id: str, now: datetime) -> None:
        await self._update(
            message_id, status=RELAYED, published_at=now, last_error=None, claimed_by=None, claimed_until=None
        )

    async def mark_failed(self, message_id: str, error: str, next_attempt_at: datetime) -> None:
        await self._update(
            message_id,
            attempts=outbox.c.attempts + 1,
            last_error=error,
            next_attempt_at=next_attempt_at,
            claimed_by=None,
            claimed_until=None,
        )

    async def release(self, worker: str) -> None:
        with store_errors():
            async with self._engine.begin() as connection:
                await connection.execute(release_statement(outbox, (PENDING,), worker))

    async def pending_count(self) -> int:
        statement = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == PENDING)
        with store_errors():
            async with self._reads.connect() as connection:
                return int((await connection.execute(statement)).scalar_one())

    async def _update(self, message_id: str, **values: object) -> None:
        with store_errors():
            async with self._engine.begin() as connection:
                await connection.execute(sa.update(outbox).where(outbox.c.id == message_id).values(**values))
