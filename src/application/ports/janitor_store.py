"""The janitor's schedule: which payments stuck in `processing` and refunds stuck in `pending` are due a question
to their provider, and when to ask next.

A claim is lease-like: claiming moves the row's `next_check_at` a little into the future, so a second worker
(or a second claim before this check ends) skips it; a worker that dies mid-check lets the lease run out and the
row becomes due again. Nothing is lost and no two workers ask the provider about one payment at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from application.data.janitor import DueCheck


class JanitorStore(Protocol):
    async def claim_due_payments(
        self, now: datetime, *, first_check_after: timedelta, lease: timedelta, limit: int
    ) -> list[DueCheck]:
        """Processing payments with `next_check_at <= now`, or never scheduled and created at least
        `first_check_after` ago or already past `expires_at`. Each claimed row's `next_check_at` becomes
        `now + lease`, committed before this returns."""
        ...

    async def claim_due_refunds(
        self, now: datetime, *, first_check_after: timedelta, lease: timedelta, limit: int
    ) -> list[DueCheck]:
        """Pending refunds by the same rule (without the expiry clause), claimed the same way."""
        ...

    async def schedule_payment(self, payment_id: str, checks: int, next_check_at: datetime) -> None: ...

    async def schedule_refund(self, refund_id: str, checks: int, next_check_at: datetime) -> None: ...
