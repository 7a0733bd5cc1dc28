"""Stored webhook events seen from outside a request: the worker's retries and the admin's log and replays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from application.ports.repositories import InboxStatus


@dataclass(frozen=True, slots=True)
class StoredWebhook:
    """One row of the webhook inbox, as it was received (raw body and headers without credentials)."""

    id: str
    provider: str
    event_id: str
    event_type: str
    status: InboxStatus
    reason: str | None
    payment_id: str | None
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime
    processed_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class WebhookEventFilter:
    provider: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookEventPage:
    data: tuple[StoredWebhook, ...]
    next_cursor: str | None


class WebhookRetryStore(Protocol):
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
