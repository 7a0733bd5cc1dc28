"""The transaction boundary. Nothing is committed unless a handler calls `commit()`."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from application.ports.payment_repository import PaymentRepository
from application.ports.risk import RecentCheckouts
from application.ports.webhook_events import WebhookInbox


class UnitOfWork(Protocol):
    """Reusable: each `async with` opens a new transaction, rolled back on exit unless committed."""

    payments: PaymentRepository
    inbox: WebhookInbox
    recent_checkouts: RecentCheckouts  # the risk check's velocity counts, locked on this transaction

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
