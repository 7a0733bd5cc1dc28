"""The webhook_events table (the inbox) for each of its uses, one store: recording inside a unit of work
(`WebhookInbox`), the worker's retries (`WebhookRetryQueue`) and the admin's log (`WebhookEventLog`).

Inside a unit of work it runs on the transaction's connection, so "seen" and "applied" commit together; outside,
each call is one statement of its own. Every statement is single: a claim is `UPDATE … WHERE id IN (SELECT …
FOR UPDATE SKIP LOCKED) RETURNING …` (leases.py), so concurrent workers on Postgres take different rows without
waiting on each other, and SQLite's writers run one after another anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from application.data.webhook_events import (
    Applied,
    InboxEntry,
    InboxReceipt,
    InboxStatus,
    StoredWebhook,
    WebhookEventFilter,
    WebhookEventPage,
)
from infrastructure.db.conflicts import insert_or_ignore
from infrastructure.db.read.cursor import after_values, before, decode_cursor, encode_cursor
from infrastructure.db.sql.runner import PerDialect, Runner
from infrastructure.db.tables import webhook_events as events
from infrastructure.db.worker.leases import claim_statement, release_statement
from infrastructure.db.write import payment_statements
from infrastructure.db.write.locked_payments import LockedPayments, without

FIRST_RETRY_DELAY = timedelta(seconds=30)
_FAILED, _RECEIVED, _DEAD = InboxStatus.FAILED.value, InboxStatus.RECEIVED.value, InboxStatus.DEAD.value
_RECORDED = (
    *("id", "provider", "event_id", "event_type", "status", "headers", "body", "received_at"),
    *("processed_at", "payment_id"),
)


def _record(dialect: Dialect) -> sa.Insert:
    conflict = insert_or_ignore(dialect.name, events, ("provider", "event_id"))
    return conflict.values({**{name: sa.bindparam(name) for name in _RECORDED}, "attempts": 0}).returning(events.c.id)


_RECORD = PerDialect(_record)


def _record_and_lock(dialect: Dialect) -> sa.Select[Any]:
    """Postgres: the inbox row (`inbox_id`, none for a duplicate) and the payment's row locked, in one statement.
    Both CTEs run whatever the other finds; each row of the result is there even when the other is not."""
    recorded = _record(dialect).returning(events.c.id.label("inbox_id")).cte("recorded")
    locked = payment_statements.locking("locked_payment_id").cte("locked")
    one = sa.select(sa.literal(1).label("one")).subquery("one")
    return sa.select(recorded.c.inbox_id, *locked.c).select_from(
        one.outerjoin(recorded, sa.true()).outerjoin(locked, sa.true())
    )


_RECORD_AND_LOCK = PerDialect(_record_and_lock)
_EXISTING = sa.select(events.c.id).where(
    events.c.provider == sa.bindparam("provider"), events.c.event_id == sa.bindparam("event_id")
)
# A failed event counts an attempt and is due again after FIRST_RETRY_DELAY; any other outcome is not due again.
_MARK = (
    sa.update(events)
    .where(events.c.id == sa.bindparam("entry_id"))
    .values(
        status=sa.bindparam("new_status"),
        reason=sa.bindparam("new_reason"),
        processed_at=sa.bindparam("at"),
        payment_id=sa.func.coalesce(sa.bindparam("named_payment", type_=events.c.payment_id.type), events.c.payment_id),
        attempts=events.c.attempts + sa.bindparam("attempt", type_=sa.Integer),
        next_attempt_at=sa.bindparam("due_at", type_=events.c.next_attempt_at.type),
    )
)
_DUE = sa.or_(
    sa.and_(events.c.status == _FAILED, events.c.next_attempt_at <= sa.bindparam("now")),
    sa.and_(events.c.status == _RECEIVED, events.c.received_at < sa.bindparam("stale_before")),
)
_CLAIM = claim_statement(events, _DUE, order_by=(events.c.received_at, events.c.id))
_RESCHEDULE = (
    sa.update(events)
    .where(events.c.id == sa.bindparam("entry_id"), events.c.claimed_by == sa.bindparam("worker"))
    .values(
        claimed_by=None,
        claimed_until=None,
        next_attempt_at=sa.case(
            (
                sa.and_(
                    events.c.status == _FAILED, sa.bindparam("due_at", type_=events.c.next_attempt_at.type).is_not(None)
                ),
                sa.bindparam("due_at", type_=events.c.next_attempt_at.type),
            ),
            else_=events.c.next_attempt_at,
        ),
    )
)
_BURY = (
    sa.update(events)
    .where(
        events.c.id == sa.bindparam("entry_id"),
        events.c.claimed_by == sa.bindparam("worker"),
        events.c.status.in_((_FAILED, _RECEIVED)),
    )
    .values(
        status=_DEAD,
        reason=sa.bindparam("note", type_=sa.Text) + sa.func.coalesce(events.c.reason, "unknown"),
        processed_at=sa.bindparam("at"),
        next_attempt_at=None,
        claimed_by=None,
        claimed_until=None,
    )
)
_RELEASE = release_statement(events, None)
_GET = sa.select(events).where(events.c.id == sa.bindparam("entry_id"))


class SqlWebhookEvents:
    """Implements WebhookInbox, WebhookRetryQueue and WebhookEventLog on one `Runner`."""

    def __init__(self, runner: Runner, locked: LockedPayments | None = None) -> None:
        self._runner, self._locked = runner, locked

    # ---- WebhookInbox: inside a unit of work ------------------------------------------------------------------
    async def record(self, entry: InboxEntry, *, applied: Applied | None = None) -> InboxReceipt:
        """Once per (provider, event id); a concurrent duplicate on Postgres waits on the unique index for the
        first transaction, then finds its row."""
        values = {
            "id": entry.id,
            "provider": entry.provider,
            "event_id": entry.event_id,
            "event_type": entry.event_type,
            "status": (InboxStatus.RECEIVED if applied is None else InboxStatus.PROCESSED).value,
            "headers": dict(entry.headers),
            "body": entry.body,
            "received_at": entry.received_at,
            "processed_at": None if applied is None else applied.at,
            "payment_id": None if applied is None else applied.payment_id,
        }
        if applied is not None and applied.payment_id is not None and self._locked is not None:
            inbox_id = await self._record_and_lock(values, applied.payment_id)
            if inbox_id is not None:
                return InboxReceipt(inbox_id, duplicate=False)
        else:
            inserted = await self._runner.write(_RECORD, **values)
            if inserted:
                return InboxReceipt(inserted[0]["id"], duplicate=False)
        existing = await self._runner.fetch_value(_EXISTING, provider=entry.provider, event_id=entry.event_id)
        return InboxReceipt(existing, duplicate=True)

    async def _record_and_lock(self, values: dict[str, Any], payment_id: str) -> str | None:
        """Records the row and locks `payment_id`'s row for the repository (locked_payments.py): the event is
        applied next in this transaction. The inbox row's id, or None for a duplicate."""
        assert self._locked is not None
        (row,) = await self._runner.write(_RECORD_AND_LOCK, **values, locked_payment_id=payment_id)
        if row["id"] is not None:  # the payment exists: its row, as the repository's own lock would read it
            self._locked.keep(without(row, "inbox_id"))
        inbox_id: str | None = row["inbox_id"]
        return inbox_id

    async def mark(
        self, entry_id: str, status: InboxStatus, *, reason: str | None, payment_id: str | None, at: datetime
    ) -> None:
        failed = status is InboxStatus.FAILED
        await self._runner.execute(
            _MARK,
            entry_id=entry_id,
            new_status=status.value,
            new_reason=reason,
            at=at,
            named_payment=payment_id,
            attempt=1 if failed else 0,
            due_at=at + FIRST_RETRY_DELAY if failed else None,
        )

    # ---- WebhookRetryQueue: the worker's leases --------------------------------------------------------------
    async def claim_due(
        self, worker_id: str, now: datetime, *, lease: timedelta, stale_before: datetime, limit: int
    ) -> list[StoredWebhook]:
        rows = await self._runner.write(
            _CLAIM, worker=worker_id, now=now, until=now + lease, stale_before=stale_before, limit=limit
        )
        return sorted((_stored(row) for row in rows), key=lambda s: (s.received_at, s.id))

    async def reschedule(self, entry_id: str, worker_id: str, next_attempt_at: datetime | None) -> None:
        await self._runner.execute(_RESCHEDULE, entry_id=entry_id, worker=worker_id, due_at=next_attempt_at)

    async def bury(self, entry_id: str, worker_id: str, note: str, at: datetime) -> None:
        await self._runner.execute(_BURY, entry_id=entry_id, worker=worker_id, note=f"{note}; last failure: ", at=at)

    async def release(self, worker_id: str) -> int:
        return await self._runner.execute(_RELEASE, worker=worker_id)

    # ---- WebhookEventLog: the admin's reads --------------------------------------------------------------------
    async def get(self, entry_id: str) -> StoredWebhook | None:
        row = await self._runner.fetch_one(_GET, entry_id=entry_id)
        return None if row is None else _stored(row)

    async def page(self, filters: WebhookEventFilter, limit: int, cursor: str | None) -> WebhookEventPage:
        conditions: list[sa.ColumnElement[bool]] = []
        values: dict[str, Any] = {}
        if filters.provider is not None:
            conditions.append(events.c.provider == sa.bindparam("provider"))
            values["provider"] = filters.provider
        if filters.status is not None:
            conditions.append(events.c.status == sa.bindparam("status"))
            values["status"] = filters.status
        if cursor is not None:
            position = decode_cursor(cursor)  # raises InvalidCursor
            conditions.append(before(events.c.received_at, events.c.id))
            values.update(after_values(position))
        rows = await self._runner.fetch(_page(tuple(sorted(values)), tuple(conditions)), **values, limit=limit + 1)
        page = tuple(_stored(row) for row in rows[:limit])
        more = len(rows) > limit
        return WebhookEventPage(page, encode_cursor(page[-1].received_at, page[-1].id) if more else None)


_PAGES: dict[tuple[str, ...], sa.Select[Any]] = {}


def _page(shape: tuple[str, ...], conditions: tuple[sa.ColumnElement[bool], ...]) -> sa.Select[Any]:
    """One statement per combination of filters (at most eight), kept, so each compiles once."""
    statement = _PAGES.get(shape)
    if statement is None:
        statement = _PAGES[shape] = (
            sa.select(events)
            .where(*conditions)
            .order_by(events.c.received_at.desc(), events.c.id.desc())
            .limit(sa.bindparam("limit", type_=sa.Integer))
        )
    return statement


def _stored(row: Mapping[str, Any]) -> StoredWebhook:
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
        body_purged_at=row["body_purged_at"],
    )
