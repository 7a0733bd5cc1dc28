"""An in-memory NotificationStore for bus-level tests (the real one is tested on both databases)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

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


class FakeNotificationStore:
    def __init__(self) -> None:
        self.rows: dict[str, Notification] = {}
        self.attempts: list[NotificationAttempt] = []

    async def add(self, notification: NewNotification) -> bool:
        if any((n.event_id, n.url) == (notification.event_id, notification.url) for n in self.rows.values()):
            return False
        fields = {f.name: getattr(notification, f.name) for f in dataclasses.fields(notification)}
        self.rows[notification.id] = Notification(
            **fields, status=NotificationStatus.PENDING, attempts=0, next_attempt_at=notification.created_at
        )
        return True

    async def claim(self, worker: str, now: datetime, lease: timedelta, limit: int) -> list[Notification]:
        return []  # bus tests never deliver

    async def record_attempts(self, records: Sequence[AttemptRecord]) -> None:
        self.attempts.extend(record.attempt for record in records)

    async def release(self, worker: str) -> None:
        return None

    async def list(self, status: NotificationStatus | None, limit: int, cursor: str | None) -> NotificationPage:
        rows = sorted(self.rows.values(), key=lambda n: (n.created_at, n.id), reverse=True)
        return NotificationPage(tuple(n for n in rows if status is None or n.status == status)[:limit], None)

    async def get(self, notification_id: str) -> NotificationDetail | None:
        row = self.rows.get(notification_id)
        if row is None:
            return None
        return NotificationDetail(row, tuple(a for a in self.attempts if a.notification_id == notification_id))

    async def retry(self, notification_id: str, now: datetime) -> Notification:
        if notification_id not in self.rows:
            raise NotificationNotFound(notification_id)
        row = dataclasses.replace(self.rows[notification_id], status=NotificationStatus.PENDING, next_attempt_at=now)
        self.rows[notification_id] = row
        return row
