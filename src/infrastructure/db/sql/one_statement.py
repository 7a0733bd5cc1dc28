"""A runner that lets one statement through a connection outside any transaction, and refuses a second.

The unit of work of a one-write block (application/ports/unit_of_work.py `one_write`) runs on Postgres without
BEGIN and COMMIT: its one statement (a payment's guarded write with its audit and outbox rows, guarded.py) is
atomic and committed on its own. A second statement would commit separately, so it is refused before it is sent:
a block that needs two statements needs a transaction.
"""

from __future__ import annotations

from typing import Any

from infrastructure.db.sql.guarded import Guarded
from infrastructure.db.sql.runner import Row, Runner, Statement


class SecondStatementRefused(RuntimeError):
    """A one-write unit of work was asked for a second statement (a programming error, never the client's)."""


class OneStatement:
    def __init__(self, connection: Runner) -> None:
        self._connection = connection
        self._used = False

    async def fetch(self, statement: Statement, /, **values: Any) -> list[Row]:
        self._take_turn()
        return await self._connection.fetch(statement, **values)

    async def fetch_one(self, statement: Statement, /, **values: Any) -> Row | None:
        self._take_turn()
        return await self._connection.fetch_one(statement, **values)

    async def fetch_value(self, statement: Statement, /, **values: Any) -> Any:
        self._take_turn()
        return await self._connection.fetch_value(statement, **values)

    async def execute(self, statement: Statement, /, **values: Any) -> int:
        self._take_turn()
        return await self._connection.execute(statement, **values)

    async def execute_guarded(self, statement: Guarded, /, **values: Any) -> int:
        self._take_turn()
        return await self._connection.execute_guarded(statement, **values)

    async def write(self, statement: Statement, /, **values: Any) -> list[Row]:
        self._take_turn()
        return await self._connection.write(statement, **values)

    async def begin_with(self, command: str) -> None:
        """The velocity locks (write/recent_checkouts.py) last until their transaction ends: without one they
        would be released at once, so a block that counts needs a transaction."""
        raise SecondStatementRefused("locks held until commit need a transaction; a one-write block has none")

    def _take_turn(self) -> None:
        if self._used:
            raise SecondStatementRefused(
                "a one-write unit of work runs one statement without a transaction; this block needs a transaction"
            )
        self._used = True
