"""The webhook_events table (the inbox), seen by each of its uses: recording inside a unit of work, the worker's
retries, and the admin's log. One store implements all three."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from application.data.webhook_events import (
    Applied,
    InboxEntry,
    InboxReceipt,
    InboxStatus,
    StoredWebhook,
    WebhookEventFilter,
    WebhookEventPage,
)


class WebhookInbox(Protocol):
    """Inside a unit of work: the event is recorded in the same transaction as the change it causes."""

    async def record(self, entry: InboxEntry, *, applied: Applied | None = None) -> InboxReceipt:
        """Stores the event once per (provider, event_id). A repeat returns the first id with duplicate=True.

        `applied`: the caller applies the event in this same transaction, so the row is written as processed
        (at `applied.at`, naming `applied.payment_id`) and the caller marks it only when the outcome is another:
        the common case needs no second statement. Nothing is visible before the transaction commits."""
        ...

    async def mark(
        self, entry_id: str, status: InboxStatus, *, reason: str | None, payment_id: str | None, at: datetime
    ) -> None: ...


class WebhookRetryQueue(Protocol):
    """Claims with leases, so several workers share the retries without ever taking the same row twice."""

    async def claim_due(
        self, worker_id: str, now: datetime, *, lease: timedelta, stale_before: datetime, limit: int
    ) -> list[StoredWebhook]:
        """Rows due for another try, claimed for `worker_id` until now + lease: `failed` ones whose
        next_attempt_at has come, and `received` ones older than `stale_before` (a crash between storing and
        applying a two-phase event leaves those). Rows under someone else's live lease are skipped."""
        ...

    async def reschedule(self, entry_id: str, worker_id: str, next_attempt_at: datetime | None) -> None:
        """Gives up our claim; a row still `failed` waits until `next_attempt_at` (when given)."""
        ...

    async def bury(self, entry_id: str, worker_id: str, note: str, at: datetime) -> None:
        """A row still failed (or received) after the retry window becomes `dead`, its reason `note` followed by
        the last failure's; our claim ends."""
        ...

    async def release(self, worker_id: str) -> int:
        """Gives back every claim `worker_id` still holds (on shutdown); returns how many."""
        ...


class WebhookEventLog(Protocol):
    """The read side of the inbox, for admins."""

    async def get(self, entry_id: str) -> StoredWebhook | None: ...

    async def page(self, filters: WebhookEventFilter, limit: int, cursor: str | None) -> WebhookEventPage:
        """Newest first (received_at, id), keyset-paginated. Raises InvalidCursor for a cursor not ours."""
        ...


class WebhookBodyPurge(Protocol):
    """Retention of what webhooks carry about customers (e-mails, names, addresses in clear)."""

    async def purge_bodies(self, received_before: datetime, at: datetime, limit: int) -> int:
        """Drops the raw body and headers of up to `limit` settled rows (processed, ignored, dead) received before
        `received_before`, marking them purged `at`; the rows stay. Returns how many it purged."""
        ...
