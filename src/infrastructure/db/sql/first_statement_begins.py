"""A unit of work's transaction begun with its first statement, not before it (unit_of_work.py).

A checkout's transaction starts with the velocity lock (write/recent_checkouts.py), a statement with no result
and no parameters of the client's: `BEGIN` and that lock can go to Postgres as one simple query, one round trip
instead of two. For that the transaction must not be begun when the unit of work opens, but when its first
statement is known. `Database.begin` sends `BEGIN; <then>` inside its retry loop, so a pooled connection found
dead is still replaced before anything ran on it; a connection whose last COMMIT opened its next transaction
(begun_ahead.py) sends only the statement. Any other first statement begins the transaction as before.

A block that runs no statement borrows no connection and has nothing to commit.
"""

from __future__ import annotations

from typing import Any

from infrastructure.db.sql.database import Database
from infrastructure.db.sql.drivers import Connection
from infrastructure.db.sql.guarded import Guarded
from infrastructure.db.sql.pooled import Borrowed
from infrastructure.db.sql.runner import Row, Statement


class FirstStatementBegins:
    """The Runner of a unit of work's transaction; `borrowed` is None until the first statement."""

    __slots__ = ("_database", "borrowed")

    def __init__(self, database: Database) -> None:
        self._database = database
        self.borrowed: Borrowed | None = None

    async def begin_with(self, command: str) -> None:
        """Runs `command` (simple-query SQL: no parameters, no rows wanted) first, in the BEGIN's round trip when
        the transaction is not begun yet; else on its own."""
        if self.borrowed is None:
            self.borrowed = await self._database.begin(write=True, then=command)
            return
        connection = self.borrowed.connection
        try:
            await connection.run(command)
        except BaseException:
            connection.failed = True  # as a statement's failure: a COMMIT after it must be seen answering ROLLBACK
            raise

    async def _connection(self) -> Connection:
        if self.borrowed is None:
            self.borrowed = await self._database.begin(write=True)
        return self.borrowed.connection

    async def fetch(self, statement: Statement, /, **values: Any) -> list[Row]:
        return await (await self._connection()).fetch(statement, **values)

    async def fetch_one(self, statement: Statement, /, **values: Any) -> Row | None:
        return await (await self._connection()).fetch_one(statement, **values)

    async def fetch_value(self, statement: Statement, /, **values: Any) -> Any:
        return await (await self._connection()).fetch_value(statement, **values)

    async def execute(self, statement: Statement, /, **values: Any) -> int:
        return await (await self._connection()).execute(statement, **values)

    async def execute_guarded(self, statement: Guarded, /, **values: Any) -> int:
        return await (await self._connection()).execute_guarded(statement, **values)

    async def write(self, statement: Statement, /, **values: Any) -> list[Row]:
        return await (await self._connection()).write(statement, **values)
