"""The unit of work: one connection and one transaction per `async with`, begun with its first statement
(first_statement_begins.py) and rolled back unless committed; a one-write block on Postgres: one connection and
one statement, committed by itself."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from application.ports.ids import IdGenerator
from application.ports.payment_repository import PaymentRepository
from application.ports.risk import RecentCheckouts
from application.ports.tracing import NO_TRACING, Tracing
from application.ports.webhook_events import WebhookInbox
from infrastructure.db.errors import lost_connection
from infrastructure.db.sql.database import Database
from infrastructure.db.sql.first_statement_begins import FirstStatementBegins
from infrastructure.db.sql.one_statement import OneStatement, SecondStatementRefused
from infrastructure.db.sql.pooled import Borrowed
from infrastructure.db.sql.runner import Runner
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

    def __init__(
        self, database: Database, ids: IdGenerator, tracing: Tracing = NO_TRACING, *, one_write: bool = False
    ) -> None:
        self._database, self._ids, self._tracing = database, ids, tracing
        self._one: Borrowed | None = None  # the one-write block's connection
        self._transaction: FirstStatementBegins | None = None  # begun with its first statement
        # Postgres runs a one-write block as its one statement, without a transaction (one_statement.py); SQLite
        # composes a guarded write from several statements (guarded.py), so there it stays a transaction
        self._without_transaction = one_write and database.dialect_name == "postgresql"

    def one_write(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._database, self._ids, self._tracing, one_write=True)

    async def __aenter__(self) -> Self:
        if self._one is not None or self._transaction is not None:
            raise RuntimeError("this unit of work is already open; concurrent tasks need their own")
        postgres = self._database.dialect_name == "postgresql"
        runner: Runner
        lock: FirstStatementBegins | OneStatement | None = None
        if self._without_transaction:  # Postgres only
            self._one = await self._database.lend()
            runner = lock = OneStatement(self._one.connection)  # which refuses the velocity locks: no transaction
            locked = None
        else:
            runner = self._transaction = FirstStatementBegins(self._database)
            # Postgres: the inbox may lock the payment its event is applied to with the inbox row (locked_payments.py)
            locked = LockedPayments() if postgres else None
            lock = self._transaction if postgres else None  # SQLite's BEGIN IMMEDIATE serialises writers anyway
        self.payments = SqlPaymentRepository(runner, self._ids, self._tracing, locked)
        self.inbox = SqlWebhookEvents(runner, locked)
        self.recent_checkouts = SqlRecentCheckouts(runner, lock)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        borrowed = self._borrowed()
        self._one = self._transaction = None
        if borrowed is None:
            return  # no statement ran: no connection was borrowed
        lost = exc is not None and lost_connection(exc)  # dead or mid-protocol: dropped, not rolled back
        try:
            if not lost:
                await self._database.rollback(borrowed.connection)  # nothing to undo after commit()
        finally:
            await self._database.give_back(borrowed, lost=lost)

    async def commit(self) -> None:
        borrowed = self._borrowed()
        if borrowed is not None and not self._without_transaction:  # else the one statement committed itself
            await self._database.commit(borrowed.connection)

    async def rollback(self) -> None:
        """Undoes what the block did so far; the block goes on in a new transaction."""
        if self._without_transaction:
            raise SecondStatementRefused("a one-write unit of work has no transaction to roll back")
        borrowed = self._borrowed()
        if borrowed is not None:  # else nothing ran: the transaction still begins with the next statement
            await self._database.rollback(borrowed.connection)
            await self._database.restart(borrowed.connection)

    def _borrowed(self) -> Borrowed | None:
        if self._one is None and self._transaction is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._one if self._transaction is None else self._transaction.borrowed
