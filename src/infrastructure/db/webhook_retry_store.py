"""The webhook inbox outside a request: leases for the worker's retries, and the admin's read side.

Claims run in their own short transaction. On Postgres the candidates are selected `FOR UPDATE SKIP LOCKED`, so
concurrent workers each take different rows without waiting on one another; on SQLite the `BEGIN IMMEDIATE`
of every writing transaction (engine.py) already serialises the claims. A lease (`claimed_until`) that runs out
(a worker that died) makes the row claimable again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.webhook_events import InboxStatus, StoredWebhook, WebhookEventFilter, WebhookEventPage
from infrastructure.db.cursor import before, decode_cursor, encode_cursor
from infrastructure.db.engine import for_reads
from infrastructure.db.errors import store_errors
from infrastructure.db.tables import webhook_events as events

_FAILED, _RECEIVED, _DEAD = InboxStatus.FAILED.value, InboxStatus.RECEIVED.value, InboxStatus.DEAD.value


class SqlAlchemyWebhookRetryQueue:
    """Implements both WebhookRetryQueue (claims) and WebhookEventLog (reads)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine, self._reads = engine, for_reads(engine)

    # ---- WebhookRetryQueue ----------------------------------------------------------------------------------
    async def claim_due(
        self, worker_id: str, now: datetime, *, lease: timedelta, stale_before: datetime, limit: int
    ) -> list[StoredWebhook]:
        due = sa.or_(
            sa.and_(events.c.status == _FAILED, events.c.next_attempt_at <= now),
            sa.and_(events.c.status == _RECEIVED, events.c.received_at < stale_before),
        )
        free = sa.or_(events.c.claimed_until.is_(None), events.c.claimed_until < now)
        candidates = sa.select(events.c.id).where(due, free).order_by(events.c.received_at, events.c.id).limit(limit)
        with store_errors():
            async with self._engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    candidates = candidates.with_for_update(skip_locked=True)
                ids = list((await connection.execute(candidates)).scalars())
                if not ids:
                    return []
                await connection.execute(
                    sa.update(events)
                    .where(events.c.id.in_(ids))
                    .values(claimed_by=worker_id, claimed_until=now + lease)
                )
                rows = (await connection.execute(sa.select(events).where(events.c.id.in_(ids)))).mappings().all()
        return sorted((_stored(row) for row in rows), key=lambda s: (s.received_at, s.id))

    async def reschedule(self, entry_id: str, worker_id: str, next_attempt_at: datetime | None) -> None:
        values: dict[str, Any] = {"claimed_by": None, "claimed_until": None}
        if next_attempt_at is not None:
            values["next_attempt_at"] = sa.case(
                (events.c.status == _FAILED, next_attempt_at), else_=events.c.next_attempt_at
            )
        await self._write(sa.update(events).where(*_ours(entry_id, worker_id)).values(values))

    async def bury(self, entry_id: str, worker_id: str, note: str, at: datetime) -> None:
        last = sa.func.coalesce(events.c.reason, "unknown")
        await self._write(
            sa.update(events)
            .where(*_ours(entry_id, worker_id), events.c.status.in_((_FAILED, _RECEIVED)))
            .values(
                status=_DEAD,
                reason=sa.literal(f"{note}; last failure: ", sa.Text) + last,
                processed_at=at,
                next_attempt_at=None,
                claimed_by=None,
                claimed_until=None,
            )
        )

    async def release(self, worker_id: str) -> int:
        statement = (
            sa.update(events).where(events.c.claimed_by == worker_id).values(claimed_by=None, claimed_until=None)
        )
        with store_errors():
            async with self._engine.begin() as connection:
                return (await connection.execute(statement)).rowcount

    # ---- WebhookEventLog ----------------------------------------------------------------------------------
    async def get(self, entry_id: str) -> StoredWebhook | None:
        rows = await self._fetch(sa.select(events).where(events.c.id == entry_id))
        return _stored(rows[0]) if rows else None

    async def page(self, filters: WebhookEventFilter, limit: int, cursor: str | None) -> WebhookEventPage:
        conditions: list[sa.ColumnElement[bool]] = []
        if filters.provider is not None:
            conditions.append(events.c.provider == filters.provider)
        if filters.status is not None:
            conditions.append(events.c.status == filters.status)
        if cursor is not None:
            conditions.append(before(events.c.received_at, events.c.id, decode_cursor(cursor)))
        statement = (
            sa.select(events)
            .where(*conditions)
            .order_by(events.c.received_at.desc(), events.c.id.desc())
            .limit(limit + 1)
        )
        rows = await self._fetch(statement)
        page = tuple(_stored(row) for row in rows[:limit])
        more = len(rows) > limit
        return WebhookEventPage(page, encode_cursor(page[-1].received_at, page[-1].id) if more else None)

    # ---- internals ----------------------------------------------------------------------------------------
    async def _write(self, statement: sa.Update) -> None:
        with store_errors():
            async with self._engine.begin() as connection:
                await connection.execute(statement)

    async def _fetch(self, statement: sa.Select[Any]) -> Sequence[RowMapping]:
        with store_errors():
            async with self._reads.connect() as connection:
                rows: Sequence[RowMapping] = (await connection.execute(statement)).mappings().all()
        return rows


def _ours(entry_id: str, worker_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    return events.c.id == entry_id, events.c.claimed_by == worker_id


def _stored(row: RowMapping) -> StoredWebhook:
    return StoredWebhook(
        id=row["id"],
        provider=row["provider"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        status=InboxStatus(row["status"]),
        reason=row["reason"],
        payment_id=row["payment_id"],
        headers=dict(row["headers"] or {}),
        body=bytes(row["body"]),
        received_at=row["received_at"],
        processed_at=row["processed_at"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
    )
