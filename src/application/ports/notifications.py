"""Signed order callbacks, seen from the application: one notification per (outbox event, callback URL).

A notification's `body` is built once, when the relay creates it, and never rebuilt: every attempt sends the
same bytes with the same `ntf_…` id, so receivers dedupe on the id and can verify a signature over what they
got. Claims are leases, as in the outbox: a worker claims due rows, commits, posts outside any transaction,
then records the batch's attempts.

Statuses: `pending` (never tried, or put back by an admin), `failed` (the last attempt failed; retried at
`next_attempt_at`), `delivered` (a 2xx ended it), `dead` (given up: too old, or the receiver answered 410).
Both `pending` and `failed` rows are claimable when due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from application.data.notifications import (
    AttemptRecord,
    NewNotification,
    Notification,
    NotificationDetail,
    NotificationPage,
    NotificationStatus,
)


class NotificationStore(Protocol):
    async def add(self, notification: NewNotification) -> bool:
        """Creates it pending and due at once; False (and nothing changed) when one already exists for the same
        (event_id, url): relaying an event twice never notifies twice."""
        ...

    async def claim(self, worker: str, now: datetime, lease: timedelta, limit: int) -> list[Notification]:
        """Pending or failed notifications that are due and not leased by a live worker, oldest first."""
        ...

    async def record_attempts(self, records: Sequence[AttemptRecord]) -> None:
        """Stores each attempt and moves its notification to the record's `status` (next try at its
        `next_attempt_at` when failed), releasing the lease: a batch's attempts at once, together or not at all."""
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
