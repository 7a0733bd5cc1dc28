"""Order callbacks (notifications) and their delivery attempts (see application.ports.notifications).

Each method is one short statement or transaction; posting happens between them, never inside one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from application.data.notifications import (
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
# The attempt's effect on its notification, with the attempt's row: together or not at all, one statement on
# Postgres (guarded.py; the row is written when the notification exists, which it always does: never deleted)
_AFTER_ATTEMPT = (
    sa.update(notifications)
    .where(_THIS)
    .values(
        status=sa.bindparam("new_status"),
        attempts=notifications.c.attempts + 1,
        last_status_code=sa.bindparam("status_code", type_=sa.Integer),
        last_error=sa.bindparam("error", type_=sa.Text),
        claimed_by=None,
        claimed_until=None,
        delivered_at=sa.func.coalesce(
            sa.bindparam("delivered", type_=notifications.c.delivered_at.type), notifications.c.delivered_at
        ),
        next_attempt_at=sa.func.coalesce(
            sa.bindparam("due_at", type_=notifications.c.next_attempt_at.type), notifications.c.next_attempt_at
        ),
    )
    .returning(TOUCHED)
)
_RECORD_ATTEMPT = Guarded(_AFTER_ATTEMPT, ((attempts, "attempt", tuple(attempts.c.keys())),))
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

    async def record_attempt(
        self, attempt: NotificationAttempt, status: NotificationStatus, next_attempt_at: datetime | None
    ) -> None:
        delivered = attempt.at if status is NotificationStatus.DELIVERED else None
        await self._db.execute_guarded(
            _RECORD_ATTEMPT,
            notification_id=attempt.notification_id,
            new_status=status.value,
            status_code=attempt.status_code,
            error=attempt.error,
            delivered=delivered,
            due_at=next_attempt_at,
            attempt=[{c.name: getattr(attempt, c.name) for c in attempts.c}],
        )

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
