"""The unit of work: one connection and one transaction per `async with`, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from application.ports.ids import IdGenerator
from application.ports.payment_repository import PaymentRepository
from application.ports.risk import RecentCheckouts
from application.ports.tracing import NO_TRACING, Tracing
from application.ports.webhook_events import WebhookInbox
from infrastructure.db.sql.database import Borrowed, Database, lost_connection
from infrastructure.db.sql.drivers import Connection
from infrastructure.db.write.locked_payments import LockedPayments
from infrastructure.db.write.payment_repository import SqlPaymentRepository
from infrastructure.db.write.recent_checkouts import SqlRecentCheckouts
from infrastructure.db.write.webhook_events import SqlWebhookEvents


class SqlUnitOfWork:
    """Reusable for sequential blocks, not shared between concurrent tasks (each block owns one connection).

    A writing transaction: on SQLite `BEGIN IMMEDIATE` takes the write lock at the start, so read-modify-write
    blocks run one after another (which is why `get(for_update=True)` needs no row lock there); on Postgres the
    repositories lock the rows they change.
    """

    payments: PaymentRepository
    inbox: WebhookInbox
    recent_checkouts: RecentCheckouts

    def __init__(self, database: Database, ids: IdGenerator, tracing: Tracing = NO_TRACING) -> None:
        self._database, self._ids, self._tracing = database, ids, tracing
        self._borrowed: Borrowed | None = None

    async def __aenter__(self) -> Self:
        if self._borrowed is not None:
            raise RuntimeError("this unit of work is already open; concurrent tasks need their own")
        self._borrowed = await self._database.begin(write=True)
        connection = self._borrowed.connection
        # Postgres: the inbox may lock the payment its event is applied to with the inbox row (locked_payments.py)
        locked = LockedPayments() if connection.dialect_name == "postgresql" else None
        self.payments = SqlPaymentRepository(connection, self._ids, self._tracing, locked)
        self.inbox = SqlWebhookEvents(connection, locked)
        self.recent_checkouts = SqlRecentCheckouts(connection)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        borrowed, self._borrowed = self._open(), None
        lost = exc is not None and lost_connection(exc)  # dead or mid-protocol: dropped, not rolled back
        try:
            if not lost:
                await self._database.rollback(borrowed.connection)  # nothing to undo after commit()
        finally:
            await self._database.give_back(borrowed, lost=lost)

    async def commit(self) -> None:
        await self._database.commit(self._connection())

    async def rollback(self) -> None:
        """Undoes what the block did so far; the block goes on in a new transaction."""
        connection = self._connection()
        await self._database.rollback(connection)
        await self._database.restart(connection)

    def _connection(self) -> Connection:
        return self._open().connection

    def _open(self) -> Borrowed:
        if self._borrowed is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._borrowed
