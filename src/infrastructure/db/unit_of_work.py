"""The unit of work: one connection and one transaction per `async with`, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.ports.ids import IdGenerator
from application.ports.repositories import PaymentRepository, WebhookInbox
from infrastructure.db.errors import store_errors
from infrastructure.db.payment_repository import SqlAlchemyPaymentRepository
from infrastructure.db.webhook_inbox import SqlAlchemyWebhookInbox


class SqlAlchemyUnitOfWork:
    """Reusable for sequential blocks, not shared between concurrent tasks (each block owns one connection).

    On SQLite the transaction starts with `BEGIN IMMEDIATE` (see engine.py): read-modify-write blocks run one
    after another, which is why `get(for_update=True)` needs no lock there.
    """

    payments: PaymentRepository
    inbox: WebhookInbox

    def __init__(self, engine: AsyncEngine, ids: IdGenerator) -> None:
        self._engine, self._ids = engine, ids
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open; concurrent tasks need their own")
        with store_errors():
            connection = await self._engine.connect()
            try:
                await connection.begin()
            except BaseException:
                await connection.close()
                raise
        self._connection = connection
        self.payments = SqlAlchemyPaymentRepository(connection, self._ids)
        self.inbox = SqlAlchemyWebhookInbox(connection)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        connection, self._connection = self._open(), None
        try:
            with store_errors():
                await connection.rollback()  # nothing to undo after commit()
        finally:
            await connection.close()

    async def commit(self) -> None:
        with store_errors():
            await self._open().commit()

    async def rollback(self) -> None:
        with store_errors():
            await self._open().rollback()

    def _open(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._connection
