"""Order callbacks on SQLAlchemy Core: notifications and their attempts (see application.ports.notifications)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

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
from infrastructure.db.cursor import before, decode_cursor, encode_cursor
from infrastructure.db.engine import for_reads
from infrastructure.db.errors import store_errors
from infrastructure.db.leases import claim_statement, release_statement
from infrastructure.db.tables import notification_attempts, notifications

# Both are due for another try; `failed` only says that an attempt was already made.
CLAIMABLE = (NotificationStatus.PENDING.value, NotificationStatus.FAILED.value)


class SqlAlchemyNotificationStore:
    """Each method is one short transaction; posting happens between them, never inside one."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine, self._reads = engine, for_reads(engine)

    async def add(self, notification: NewNotification) -> bool:
        insert = (
            insert_or_ignore(self._engine.dialect.name, notifications, ("event_id", "url"))
            .values(
                id=notification.id,
                event_id=notification.event_id,
                event_type=notification.event_type,
                payment_id=notification.payment_id,
                url=notification.url,
                body=notification.body,
                status=NotificationStatus.PENDING.value,
                attempts=0,
                next_attempt_at=notification.created_at,  # due at once
                created_at=notification.created_at,
            )
            .returning(notifications.c.id)
        )
        with store_errors():
            async with self._engine.begin() as connection:
                return (await connection.execute(insert)).scalar_one_or_none() is not None

    async def claim(self, worker: str, now: datetime, lease: timedelta, limit: int) -> list[Notification]:
        statement = claim_statement(notifications, CLAIMABLE, worker, now, lease, limit, self._engine.dialect.name)
        with store_errors():
            async with self._engine.begin() as connection:
                rows = (await connection.execute(statement)).mappings().all()
        return sorted((_notification(row) for row in rows), key=lambda n: (n.created_at, n.id))

    async def record_attempt(
        self, attempt: NotificationAttempt, status: NotificationStatus, next_attempt_at: datetime | None
    ) -> None:
        values: dict[str, Any] = {
            "status": status.value,
            "attempts": notifications.c.attempts + 1,
            "last_status_code": attempt.status_code,
            "last_error": attempt.error,
            "claimed_by": None,
            "claimed_until": None,
        }
        if status is NotificationStatus.DELIVERED:
            values["delivered_at"] = attempt.at
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        row = {
            "id": attempt.id,
            "notification_id": attempt.notification_id,
            "at": attempt.at,
            "outcome": attempt.outcome,
            "status_code": attempt.status_code,
            "latency_ms": attempt.latency_ms,
            "error": attempt.error,
            "worker": attempt.worker,
        }
        with store_errors():
            async with self._engine.begin() as connection:  # the attempt and its effect, together or not at all
                await connection.execute(sa.insert(notification_attempts).values(row))
                await connection.execute(
                    sa.update(notifications).where(notifications.c.id == attempt.notification_id).values(values)
                )

    async def release(self, worker: str) -> None:
        with store_errors():
            async with self._engine.begin() as connection:
                await connection.execute(release_statement(notifications, CLAIMABLE, worker))

    async def list(self, status: NotificationStatus | None, limit: int, cursor: str | None) -> NotificationPage:
        statement = sa.select(notifications).order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
        if status is not None:
            statement = statement.where(notifications.c.status == status.value)
        if cursor is not None:
            position = decode_cursor(cursor)  # raises InvalidCursor
            statement = statement.where(before(notifications.c.created_at, notifications.c.id, position))
        rows = await self._fetch(statement.limit(limit + 1))
        page = [_notification(row) for row in rows[:limit]]
        more = len(rows) > limit
        return NotificationPage(tuple(page), encode_cursor(page[-1].created_at, page[-1].id) if more else None)

    async def get(self, notification_id: str) -> NotificationDetail | None:
        with store_errors():
            async with self._reads.begin() as connection:  # one snapshot for the row and its attempts
                row = (
                    (await connection.execute(sa.select(notifications).where(notifications.c.id == notification_id)))
                    .mappings()
                    .one_or_none()
                )
                if row is None:
                    return None
                attempts = (
                    (
                        await connection.execute(
                            sa.select(notification_attempts)
                            .where(notification_attempts.c.notification_id == notification_id)
                            .order_by(notification_attempts.c.at, notification_attempts.c.id)
                        )
                    )
                    .mappings()
                    .all()
                )
        return NotificationDetail(_notification(row), tuple(_attempt(a) for a in attempts))

    async def retry(self, notification_id: str, now: datetime) -> Notification:
        statement = (
            sa.update(notifications)
            .where(notifications.c.id == notification_id)
            .values(status=NotificationStatus.PENDING.value, next_attempt_at=now, claimed_by=None, claimed_until=None)
            .returning(*notifications.c)
        )
        with store_errors():
            async with self._engine.begin() as connection:
                row = (await connection.execute(statement)).mappings().one_or_none()
        if row is None:
            raise NotificationNotFound(notification_id)
        return _notification(row)

    async def _fetch(self, statement: sa.Select[Any]) -> Sequence[RowMapping]:
        with store_errors():
            async with self._reads.connect() as connection:
                rows: Sequence[RowMapping] = (await connection.execute(statement)).mappings().all()
        return rows


def _notification(row: RowMapping) -> Notification:
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
    )


def _attempt(row: RowMapping) -> NotificationAttempt:
    return NotificationAttempt(
        id=row["id"],
        notification_id=row["notification_id"],
        at=row["at"],
        outcome=row["outcome"],
        status_code=row["status_code"],
        latency_ms=row["latency_ms"],
        error=row["error"],
        worker=row["worker"],
    )
