"""The unit of work: one connection and one transaction per `async with`, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import QueuePool

from application.errors import StoreUnavailable
from application.ports.ids import IdGenerator
from application.ports.payment_repository import PaymentRepository
from application.ports.webhook_events import WebhookInbox
from infrastructure.db.asyncpg_payment_repository import AsyncpgPaymentRepository
from infrastructure.db.asyncpg_webhook_inbox import AsyncpgWebhookInbox
from infrastructure.db.errors import is_lost_connection, store_errors
from infrastructure.db.payment_repository import SqlAlchemyPaymentRepository
from infrastructure.db.webhook_inbox import SqlAlchemyWebhookInbox


class TransactionRolledBack(RuntimeError):
    """COMMIT answered ROLLBACK: a statement of the transaction had failed and its error was swallowed."""


class SqlAlchemyUnitOfWork:
    """Reusable for sequential blocks, not shared between concurrent tasks (each block owns one connection).

    On SQLite the transaction starts with `BEGIN IMMEDIATE` (see engine.py): read-modify-write blocks run one
    after another, which is why `get(for_update=True)` needs no lock there.

    On Postgres the connection still comes from SQLAlchemy's pool (one pool, one place to size and dispose it),
    but the transaction and every statement run on its asyncpg driver connection: the Postgres fast path
    (asyncpg_payment_repository.py explains why). A driver connection found closed is invalidated, so the pool
    replaces it instead of lending it out again.
    """

    payments: PaymentRepository
    inbox: WebhookInbox

    def __init__(self, engine: AsyncEngine, ids: IdGenerator) -> None:
        self._engine, self._ids = engine, ids
        self._connection: AsyncConnection | None = None
        self._driver: Any = None  # the asyncpg connection on Postgres, else None

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open; concurrent tasks need their own")
        with store_errors():
            connection = await self._begin()
        self._connection = connection
        if self._driver is not None:
            self.payments = AsyncpgPaymentRepository(self._driver, self._ids)
            self.inbox = AsyncpgWebhookInbox(self._driver)
        else:
            self.payments = SqlAlchemyPaymentRepository(connection, self._ids)
            self.inbox = SqlAlchemyWebhookInbox(connection)
        return self

    async def _begin(self) -> AsyncConnection:
        """A connection with its transaction open. On Postgres, pooled connections that died with the database
        (a restart, an outage) fail at BEGIN, before any work: each is replaced and the next one tried, as
        SQLAlchemy's pool does for its own statements, so the first requests after an outage do not fail."""
        pool = self._engine.pool
        for attempt in range(pool.size() + 1 if isinstance(pool, QueuePool) else 1, 0, -1):
            connection = await self._engine.connect()  # a failure to connect is not retried: the store is down
            try:
                if connection.dialect.name != "postgresql":
                    await connection.begin()
                    return connection
                self._driver = (await connection.get_raw_connection()).driver_connection
                await self._driver.execute("BEGIN")
                return connection
            except BaseException as error:
                await self._release(connection, lost=True)
                if attempt == 1 or not is_lost_connection(error):
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        connection, self._connection = self._open(), None
        lost = isinstance(exc, StoreUnavailable)  # the driver connection may be dead or mid-protocol: drop it
        try:
            with store_errors():
                if self._driver is None:
                    await connection.rollback()  # nothing to undo after commit()
                elif not lost and not self._driver.is_closed() and self._driver.is_in_transaction():
                    await self._driver.execute("ROLLBACK")
        finally:
            await self._release(connection, lost=lost)

    async def commit(self) -> None:
        with store_errors():
            if self._driver is None:
                await self._open().commit()
                return
            self._open()
            if await self._driver.execute("COMMIT") != "COMMIT":
                raise TransactionRolledBack("the transaction had failed; nothing was committed")

    async def rollback(self) -> None:
        with store_errors():
            if self._driver is None:
                await self._open().rollback()
                return
            self._open()
            await self._driver.execute("ROLLBACK")
            await self._driver.execute("BEGIN")  # the block goes on in a new transaction, as with SQLAlchemy

    async def _release(self, connection: AsyncConnection, *, lost: bool = False) -> None:
        driver, self._driver = self._driver, None
        if driver is not None and (lost or driver.is_closed() or driver.is_in_transaction()):
            await connection.invalidate()  # a dead connection, or one whose transaction we could not end
        await connection.close()

    def _open(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._connection
