"""Signed order callbacks, seen from the application: one notification per (outbox event, callback URL).

A notification's `body` is built once, when the relay creates it, and never rebuilt: every attempt sends the
same bytes with the same `ntf_…` id, so receivers dedupe on the id and can verify a signature over what they
got. Claims are leases, as in the outbox: a worker claims due rows, commits, posts outside any transaction,
then records the attempt.

Statuses: `pending` (never tried, or put back by an admin), `failed` (the last attempt failed; retried at
`next_attempt_at`), `delivered` (a 2xx ended it), `dead` (given up: too old, or the receiver answered 410).
Both `pending` and `failed` rows are claimable when due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class NotificationStatus(StrEnum):
    PENDING = "pending"
    FAILED = "failed"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class NewNotification:
    id: str  # `ntf_…`, also inside `body`
    event_id: str
    event_type: str
    payment_id: str
    url: str
    body: bytes
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    event_id: str
    event_type: str
    payment_id: str
    url: str
    body: bytes
    status: NotificationStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class NotificationAttempt:
    id: str
    notification_id: str
    at: datetime
    outcome: str  # delivered | failed
    status_code: int | None
    latency_ms: int
    error: str | None
    worker: str | None


@dataclass(frozen=True, slots=True)
class NotificationDetail:
    notification: Notification
    attempts: tuple[NotificationAttempt, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class NotificationPage:
    data: tuple[Notification, ...]
    next_cursor: str | None


class NotificationStore(Protocol):
    async def add(self, notification: NewNotification) -> bool:
        """Creates it pending and due at once; False (and nothing changed) when one already exists for the same
        (event_id, url): relaying an event twice never notifies twice."""
        ...

    async def claim(self, worker: str, now: datetime, lease: timedelta, limit: int) -> list[Notification]:
        """Pending or failed notifications that are due and not leased by a live worker, oldest first."""
        ...

    async def record_attempt(
        self, attempt: NotificationAttempt, status: NotificationStatus, next_attempt_at: datetime | None
    ) -> None:
        """Stores the attempt and moves the notification to `status` (next try at `next_attempt_at` when
        failed), releasing the lease."""
        ...

    async def release(self, worker: str) -> None:
        """Graceful shutdown: gives back every lease `worker` still holds."""
        ...

    async def list(self, status: NotificationStatus | None, limit: int, cursor: str | None) -> NotificationPage:
        """Newest first, keyset-paginated. Raises InvalidCursor."""
        ...

    async def get(self, notification_id: str) -> NotificationDetail | None: ...

    async def retry(self, notification_id: str, now: datetime) -> Notification:
        """Back to pending, due at `now`, whatever its status. Raises NotificationNotFound."""
        ...
