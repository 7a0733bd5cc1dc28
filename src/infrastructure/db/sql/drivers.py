"""The driver seam's two implementations: one connection, on asyncpg (Postgres) or aiosqlite (SQLite).

Both take compiled statements (compiled.py) and named values, and answer rows by column name. asyncpg prepares
each statement text once per connection and keeps it (its own statement cache); SQLite's driver keeps its
prepared statements too. Driver errors that mean "the store is unavailable" become StoreUnavailable (errors.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from infrastructure.db.errors import store_errors
from infrastructure.db.sql.compiled import Compiled
from infrastructure.db.sql.guarded import Guarded
from infrastructure.db.sql.runner import Row, Statement

Compile = Callable[[Any], Compiled]  # a Statement (or a Guarded's composed statement) → its compiled form
T = TypeVar("T")


class StatementAfterCommit(RuntimeError):
    """A statement on a connection whose transaction was committed and whose next one is already open (a programming
    error: a block that commits ends there; database.py `commit`)."""


class _Runs:
    """What both drivers derive from `fetch`, and the transaction state the database keeps on a connection."""

    begun_ahead = False  # Postgres: the last COMMIT opened the next transaction, nothing has run in it yet
    failed = False  # Postgres: a statement of the open transaction raised, so COMMIT may answer ROLLBACK

    async def fetch(self, statement: Statement, /, **values: Any) -> list[Row]:
        raise NotImplementedError

    async def fetch_one(self, statement: Statement, /, **values: Any) -> Row | None:
        rows = await self.fetch(statement, **values)
        return rows[0] if rows else None

    async def write(self, statement: Statement, /, **values: Any) -> list[Row]:
        return await self.fetch(statement, **values)

    async def fetch_value(self, statement: Statement, /, **values: Any) -> Any:
        row = await self.fetch_one(statement, **values)
        return None if row is None else next(iter(row.values()))


class AsyncpgConnection(_Runs):
    """Begin/commit/rollback are statements like any other: the connection is in autocommit mode between them."""

    dialect_name = "postgresql"

    def __init__(self, raw: Any, compile: Compile) -> None:
        self.raw, self._compile = raw, compile

    async def fetch(self, statement: Statement, /, **values: Any) -> list[Row]:
        compiled = self._compile(statement)
        records = await self._sent(self.raw.fetch, compiled.text, *compiled.arguments(values))
        if not compiled.converts_results:
            return list(records)
        return [_converted(compiled, tuple(record.keys()), tuple(record.values())) for record in records]

    async def execute(self, statement: Statement, /, **values: Any) -> int:
        compiled = self._compile(statement)
        status: str = await self._sent(self.raw.execute, compiled.text, *compiled.arguments(values))
        return _touched(status)

    async def execute_guarded(self, statement: Guarded, /, **values: Any) -> int:
        compiled = self._compile(statement)  # composed into one statement (guarded.py)
        touched = await self._sent(self.raw.fetchval, compiled.text, *compiled.arguments(values))
        return int(touched)

    async def _sent(self, send: Callable[..., Awaitable[T]], *arguments: Any) -> T:
        """Every statement goes out here: none into a transaction opened ahead (it belongs to the connection's next
        use), and one that raises marks the transaction failed."""
        if self.begun_ahead:
            raise StatementAfterCommit("a statement after COMMIT in the same block: the block must end at its commit")
        try:
            with store_errors():
                return await send(*arguments)
        except BaseException:
            self.failed = True
            raise

    async def run(self, command: str) -> str:
        """BEGIN, COMMIT, ROLLBACK: what Postgres answered (a COMMIT of a failed transaction answers ROLLBACK; of
        several commands, the last one's answer)."""
        with store_errors():
            answer: str = await self.raw.execute(command)
        return answer

    def is_usable(self) -> bool:
        return not self.raw.is_closed()

    def in_transaction(self) -> bool:
        return bool(self.raw.is_in_transaction())


class SqliteConnection(_Runs):
    """The sqlite3 connection under aiosqlite, in autocommit mode (engine.py): transactions are ours to begin."""

    dialect_name = "sqlite"

    def __init__(self, raw: Any, compile: Compile) -> None:
        self.raw, self._compile = raw, compile

    async def fetch(self, statement: Statement, /, **values: Any) -> list[Row]:
        compiled = self._compile(statement)
        with store_errors():
            cursor = await self.raw.execute(compiled.text, compiled.arguments(values))
            try:
                records = await cursor.fetchall()
                names = tuple(column[0] for column in cursor.description or ())
            finally:
                await cursor.close()
        return [_converted(compiled, names, record) for record in records]

    async def execute(self, statement: Statement, /, **values: Any) -> int:
        compiled = self._compile(statement)
        with store_errors():
            cursor = await self.raw.execute(compiled.text, compiled.arguments(values))
            touched: int = cursor.rowcount
            await cursor.close()
        return touched

    async def execute_guarded(self, statement: Guarded, /, **values: Any) -> int:
        write, *inserts = statement.sequence
        touched = len(await self.fetch(write, **values))
        if touched:
            for insert in inserts:
                await self.execute(insert, **values)
        return touched

    async def run(self, command: str) -> str:
        with store_errors():
            cursor = await self.raw.execute(command)
            await cursor.close()
        return command.split()[0]

    def is_usable(self) -> bool:
        return True  # a file: nothing to lose but the process

    def in_transaction(self) -> bool:
        return bool(self.raw.in_transaction)


Connection = AsyncpgConnection | SqliteConnection


def _converted(compiled: Compiled, names: Sequence[str], values: Sequence[Any]) -> Row:
    if not compiled.converts_results:
        return dict(zip(names, values, strict=True))
    return {
        name: value if process is None else process(value)
        for name, process, value in zip(names, compiled.result, values, strict=True)
    }


def _touched(status: str) -> int:
    """asyncpg answers a command with its tag: "UPDATE 3", "INSERT 0 1", "DELETE 0"."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0
