"""The outbox, seen from the worker: domain events written in business transactions, relayed at least once.

Claims are leases, not open transactions: a worker claims rows (`FOR UPDATE SKIP LOCKED` on Postgres, so two
workers never claim the same row), commits, relays outside any transaction, then marks them. A worker that
dies leaves leases that expire, and another worker claims the rows again: at least once, never zero.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Protocol

from application.data.outbox import OutboxMessage


class Outbox(Protocol):
    async def claim(self, worker: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        """Pending messages that are due and not leased by a live worker, oldest first, leased to `worker`."""
        ...

    async def mark_relayed(self, message_ids: Collection[str], now: datetime) -> None:
        """Relayed, leases released: every message of a batch at once."""
        ...

    async def mark_failed(self, message_id: str, error: str, next_attempt_at: datetime) -> None:
        """Keeps it pending, releases the lease, and tries again at `next_attempt_at`."""
        ...

    async def release(self, worker: str) -> None:
        """Graceful shutdown: gives back every lease `worker` still holds."""
        ...

    async def pending_count(self) -> int: ...
