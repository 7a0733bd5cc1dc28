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

    def one_write(self) -> UnitOfWork:
        """A unit of work for a block that makes ONE write and nothing else: one `payments.add`, or one
        `payments.save` of a payment whose refunds it does not change. The store may run that write as one
        statement, atomic on its own, without opening a transaction (Postgres: no BEGIN and no COMMIT round trip);
        a second statement in the block is refused (RuntimeError), since it would not be atomic with the first.
        `commit()` is still called, and listeners still hear of the write then."""
        ...
