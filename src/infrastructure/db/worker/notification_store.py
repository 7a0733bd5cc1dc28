"""Order callbacks (notifications) and their delivery attempts (see application.ports.notifications).

Each method is one short statement or transaction; posting happens between them, never inside one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from application.data.notifications import (
    AttemptRecord,
    NewNotification,
    Notification,
    NotificationAttempt,
    NotificationDetail,
    NotificationPage,
    NotificationStatus,
)
from application.errors import NotificationNotFound
from infrastructure.db.conflicts import insert_or_ignore
from infrastructure.db.read.cursor import after_values, before, decode_cursor, encode_cursor
from infrastructure.db.sql.database import Database
from infrastructure.db.sql.guarded import TOUCHED, Guarded
from infrastructure.db.sql.json_rows import rows_bound_to
from infrastructure.db.sql.runner import PerDialect
from infrastructure.db.tables import notification_attempts as attempts
from infrastructure.db.tables import notifications
from infrastructure.db.worker.leases import claim_statement, release_statement

# Both are due for another try; `failed` only says that an attempt was already made.
CLAIMABLE = (NotificationStatus.PENDING.value, NotificationStatus.FAILED.value)
_ADDED = ("id", "event_id", "event_type", "payment_id", "url", "body", "created_at", "trace_context")
_THIS = notifications.c.id == sa.bindparam("notification_id")


def _add(dialect: Dialect) -> sa.Insert:
    insert = insert_or_ignore(dialect.name, notifications, ("event_id", "url"))
    values: dict[str, Any] = {name: sa.bindparam(name) for name in _ADDED}
    values |= {"status": NotificationStatus.PENDING.value, "attempts": 0, "next_attempt_at": sa.bindparam("created_at")}
    return insert.values(values).returning(notifications.c.id)


_ADD = PerDialect(_add)
_CLAIM = claim_statement(
    notifications,
    sa.and_(notifications.c.status.in_(CLAIMABLE), notifications.c.next_attempt_at <= sa.bindparam("now")),
)
# A batch's attempts with their effects on their notifications, each change a row bound to `changes` (named as
# the columns it sets; a null delivered_at or next_attempt_at keeps the stored one): together or not at all, one
# statement on Postgres (guarded.py; the attempts are written when a notification was, and notifications are
# never deleted)
_CHANGED = ("id", "status", "last_status_code", "last_error", "delivered_at", "next_attempt_at")
_CHANGES = rows_bound_to(notifications, "changes", _CHANGED).subquery("changes")
_AFTER_ATTEMPTS = (
    sa.update(notifications)
    .where(notifications.c.id == _CHANGES.c.id)
    .values(
        status=_CHANGES.c.status,
        attempts=notifications.c.attempts + 1,
        last_status_code=_CHANGES.c.last_status_code,
        last_error=_CHANGES.c.last_error,
        claimed_by=None,
        claimed_until=None,
        delivered_at=sa.func.coalesce(_CHANGES.c.delivered_at, notifications.c.delivered_at),
        next_attempt_at=sa.func.coalesce(_CHANGES.c.next_attempt_at, notifications.c.next_attempt_at),
    )
    .returning(TOUCHED)
)
_RECORD_ATTEMPTS = Guarded(_AFTER_ATTEMPTS, ((attempts, "attempts", tuple(attempts.c.keys())),))
_RELEASE = release_statement(notifications, CLAIMABLE)
_GET = sa.select(notifications).where(_THIS)
_ATTEMPTS_OF = (
    sa.select(attempts)
    .where(attempts.c.notification_id == sa.bindparam("notification_id"))
    .order_by(attempts.c.at, attempts.c.id)
)
_RETRY = (
    sa.update(notifications)
    .where(_THIS)
    .values(
        status=NotificationStatus.PENDING.value,
        next_attempt_at=sa.bindparam("now", type_=notifications.c.next_attempt_at.type),
        claimed_by=None,
        claimed_until=None,
    )
    .returning(*notifications.c)
)
_NEWEST_FIRST = (notifications.c.created_at.desc(), notifications.c.id.desc())
_LIMIT = sa.bindparam("limit", type_=sa.Integer)
_STATUS = notifications.c.status == sa.bindparam("status")
_AFTER = before(notifications.c.created_at, notifications.c.id)
_PAGES = {  # (filtered by status, after a cursor) → the statement, each compiled once
    (by_status, after): sa.select(notifications)
    .where(*(c for c, used in ((_STATUS, by_status), (_AFTER, after)) if used))
    .order_by(*_NEWEST_FIRST)
    .limit(_LIMIT)
    for by_status in (False, True)
    for after in (False, True)
}


class SqlNotificationStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, notification: NewNotification) -> bool:
        values = {name: getattr(notification, name) for name in _ADDED}
        return bool(await self._db.write(_ADD, **values))

    async def claim(self, worker: str, now: datetime, lease: timedelta, limit: int) -> list[Notification]:
        rows = await self._db.write(_CLAIM, worker=worker, now=now, until=now + lease, limit=limit)
        return sorted((_notification(row) for row in rows), key=lambda n: (n.created_at, n.id))

    async def record_attempts(self, records: Sequence[AttemptRecord]) -> None:
        if not records:
            return
        changes = [
            {
                "id": record.attempt.notification_id,
                "status": record.status.value,
                "last_status_code": record.attempt.status_code,
                "last_error": record.attempt.error,
                "delivered_at": record.attempt.at if record.status is NotificationStatus.DELIVERED else None,
                "next_attempt_at": record.next_attempt_at,
            }
            for record in records
        ]
        rows = [{c.name: getattr(record.attempt, c.name) for c in attempts.c} for record in records]
        await self._db.execute_guarded(_RECORD_ATTEMPTS, changes=changes, attempts=rows)

    async def release(self, worker: str) -> None:
        await self._db.execute(_RELEASE, worker=worker)

    async def list(self, status: NotificationStatus | None, limit: int, cursor: str | None) -> NotificationPage:
        values: dict[str, Any] = {"limit": limit + 1}
        if status is not None:
            values["status"] = status.value
        if cursor is not None:
            values |= after_values(decode_cursor(cursor))  # raises InvalidCursor
        rows = await self._db.fetch(_PAGES[(status is not None, cursor is not None)], **values)
        page = [_notification(row) for row in rows[:limit]]
        more = len(rows) > limit
        return NotificationPage(tuple(page), encode_cursor(page[-1].created_at, page[-1].id) if more else None)

    async def get(self, notification_id: str) -> NotificationDetail | None:
        async with self._db.transaction(write=False) as tx:  # one snapshot for the row and its attempts
            row = await tx.fetch_one(_GET, notification_id=notification_id)
            if row is None:
                return None
            tried = await tx.fetch(_ATTEMPTS_OF, notification_id=notification_id)
        return NotificationDetail(_notification(row), tuple(_attempt(a) for a in tried))

    async def retry(self, notification_id: str, now: datetime) -> Notification:
        rows = await self._db.write(_RETRY, notification_id=notification_id, now=now)
        if not rows:
            raise NotificationNotFound(notification_id)
        return _notification(rows[0])


def _notification(row: Mapping[str, Any]) -> Notification:
    return Notification(
        id=row["id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        payment_id=row["payment_id"],
        url=row["url"],
        body=bytes(row["body"]),
        status=NotificationStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        trace_context=row["trace_context"],
    )


def _attempt(row: Mapping[str, Any]) -> NotificationAttempt:
    return NotificationAttempt(**{c.name: row[c.name] for c in attempts.c})
