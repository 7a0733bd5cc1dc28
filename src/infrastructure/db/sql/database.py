"""The database: connections lent from the one pool, transactions, and every statement compiled once.

Connections come from SQLAlchemy's pool (one pool to size and dispose, shared with migrations and readiness),
and are used through their driver connection (drivers.py); the service's processes keep some of them idle
between uses (`keep_idle`, given back by `close`). A pooled connection that died with the database (a
restart, an outage) fails at its first use: a transaction's BEGIN, or a single read; each such connection is
replaced and the next one tried, as SQLAlchemy's pool does for its own statements, so the first requests after
an outage do not fail. A failure to connect is not retried: then the store is down.

Single statements run on a pooled connection without a transaction: a read is its own snapshot, and on Postgres
a write outside a unit of work (`execute`, `execute_guarded`, `write`) is its own transaction too. A read on a
connection that turns out dead is tried on the next one; a single write is not (it may have run), but a
connection already seen closed (the event loop reads the server's goodbye: a restart, an outage) is replaced
before anything is sent (`lend`). On SQLite a single write stays in a short transaction (BEGIN IMMEDIATE).

A kept Postgres connection's COMMIT also opens its next transaction (`COMMIT; BEGIN`, begun_ahead.py), taken by
the next `begin` without sending anything; single statements only run on a connection outside any transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from application.errors import StoreUnavailable
from infrastructure.db.errors import lost_connection, store_errors
from infrastructure.db.sql.begun_ahead import BegunAhead
from infrastructure.db.sql.compiled import Compiled, compile_statement
from infrastructure.db.sql.drivers import AsyncpgConnection, Connection, SqliteConnection
from infrastructure.db.sql.guarded import Guarded
from infrastructure.db.sql.pooled import Borrowed, connect, is_full, kept_connection
from infrastructure.db.sql.runner import PerDialect, Row, Statement

T = TypeVar("T")

_BEGIN = {("sqlite", True): "BEGIN IMMEDIATE", ("sqlite", False): "BEGIN"}
"""SQLite: a writing transaction takes the write lock at its start, so read-modify-write transactions queue
(busy timeout, engine.py) instead of failing with "database is locked" when a deferred reader tries to upgrade.
That is also why no row lock is needed there. Postgres: plain BEGIN; writers lock rows (`FOR UPDATE`)."""
_MAX_SHAPES = 4096  # compiled statements kept; per-shape statements (the listing) are bounded by their callers too


class TransactionRolledBack(RuntimeError):
    """COMMIT answered ROLLBACK: a statement of the transaction had failed and its error was swallowed."""


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.dialect_name: str = engine.dialect.name
        self._compiled: dict[Any, Compiled] = {}
        self._built: dict[PerDialect, Any] = {}
        self._lends_without_io = self.dialect_name == "postgresql"  # see _borrow and give_back
        self._keep_idle = 0  # how many connections this database may keep between uses (keep_idle); 0: none
        self._idle: list[Borrowed] = []
        self._begun: BegunAhead[Borrowed] = BegunAhead(self._end_begun)  # kept, their next transaction open

    # ---- compiling ------------------------------------------------------------------------------------------
    def compile(self, statement: Statement | Guarded) -> Compiled:
        compiled = self._compiled.get(statement)
        if compiled is None:
            if len(self._compiled) >= _MAX_SHAPES:
                self._compiled.clear()
            compiled = self._compiled[statement] = compile_statement(self._resolve(statement), self.dialect)
        return compiled

    def _resolve(self, statement: Statement | Guarded) -> Any:
        if isinstance(statement, Guarded):  # only Postgres compiles it whole; SQLite runs its sequence
            return statement.one_statement
        if isinstance(statement, PerDialect):
            return statement.build(self.dialect)
        return statement

    # ---- connections and transactions ------------------------------------------------------------------------
    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[Connection]:
        """A connection inside a transaction, committed when the block ends normally, rolled back otherwise."""
        borrowed = await self.begin(write=write)
        lost = False
        try:
            yield borrowed.connection
            await self.commit(borrowed.connection)
        except BaseException as error:
            lost = lost_connection(error)
            if not lost:
                await self.rollback(borrowed.connection)
            raise
        finally:
            await self.give_back(borrowed, lost=lost)

    async def begin(self, *, write: bool = True, then: str | None = None) -> Borrowed:
        """A pooled connection with its transaction open (the unit of work ends it and gives it back): one whose
        last COMMIT opened it (begun_ahead.py) if this database keeps one, else one that sends BEGIN. `then` (no
        parameters) runs first in it, with BEGIN when one is sent (first_statement_begins.py)."""
        while (begun := self._begun.take()) is not None:
            if begun.connection.is_usable():  # one the server closed meanwhile was seen closed: replaced
                begun.connection.begun_ahead = begun.connection.failed = False
                try:
                    if then is not None:
                        await begun.connection.run(then)
                    return begun
                except BaseException:
                    await self.give_back(begun, lost=True)  # dropped, like a connection whose BEGIN failed
                    raise
            await self.give_back(begun, lost=True)
        command = _BEGIN.get((self.dialect_name, write), "BEGIN") + ("" if then is None else f"; {then}")
        for attempt in range(self._attempts(), 0, -1):
            borrowed = await self._borrow()
            try:
                await borrowed.connection.run(command)
                borrowed.connection.failed = False
                return borrowed
            except BaseException as error:
                await self.give_back(borrowed, lost=True)
                if attempt == 1 or not lost_connection(error):
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def lend(self) -> Borrowed:
        """A pooled connection outside any transaction, for one statement that commits itself (a one-write unit
        of work). Nothing is sent before that statement, so a connection seen closed is replaced first; one that
        died unnoticed fails at the statement, which is not tried again (it may have run)."""
        for _ in range(self._attempts()):
            borrowed = await self._borrow()
            if borrowed.connection.is_usable():
                return borrowed
            await self.give_back(borrowed, lost=True)
        raise StoreUnavailable("no usable connection to the database")

    async def restart(self, connection: Connection, *, write: bool = True) -> None:
        """A new transaction on a connection already lent (after a rollback, the unit of work goes on)."""
        if not connection.begun_ahead:
            await connection.run(_BEGIN.get((self.dialect_name, write), "BEGIN"))
        connection.begun_ahead = connection.failed = False

    async def commit(self, connection: Connection) -> None:
        """Commits; on a connection this database keeps, the next transaction is opened in the same round trip
        (begun_ahead.py). Not after a failed statement: a COMMIT that answers ROLLBACK must be seen, and of
        `COMMIT; BEGIN` only BEGIN's answer comes back."""
        if not connection.failed and self._has_room():
            await connection.run("COMMIT; BEGIN")
            connection.begun_ahead = True
        elif await connection.run("COMMIT") == "ROLLBACK":
            raise TransactionRolledBack("the transaction had failed; nothing was committed")

    async def rollback(self, connection: Connection) -> None:
        if connection.begun_ahead:
            return  # committed; the transaction open now is the connection's next, with nothing in it
        if connection.is_usable() and connection.in_transaction():
            await connection.run("ROLLBACK")

    def _has_room(self) -> bool:
        """Whether one more connection may be kept (idle or with its next transaction open): at most `keep_idle`."""
        return len(self._idle) + len(self._begun) < self._keep_idle

    def keep_idle(self, count: int) -> None:
        """Postgres: up to `count` connections are kept between uses without going back to the pool (_borrow),
        until `close`. For the service's long-lived processes; off by default, so a database made for a moment
        holds nothing it must give back."""
        self._keep_idle = count if self._lends_without_io else 0

    async def close(self) -> None:
        """Gives the connections kept idle back to the pool (before the engine is disposed), those with a
        transaction opened ahead once it is ended."""
        self._keep_idle = 0
        await self._end_begun(await self._begun.close())
        idle, self._idle = self._idle, []
        for borrowed in idle:
            await self.give_back(borrowed)

    async def _end_begun(self, begun: list[Borrowed]) -> None:
        """Ends the transactions opened ahead that were not used in time (or at close): plain kept connections."""
        for borrowed in begun:
            if await self._ended(borrowed):
                await self.give_back(borrowed)

    async def _ended(self, borrowed: Borrowed) -> bool:
        """The transaction a kept connection had opened ahead, rolled back (it holds nothing); False, and the
        connection dropped, when that failed."""
        connection = borrowed.connection
        connection.begun_ahead = False
        try:
            if connection.is_usable():
                await connection.run("ROLLBACK")
                return True
        except BaseException as error:
            await self.give_back(borrowed, lost=True)
            if not isinstance(error, Exception):
                raise
            return False
        await self.give_back(borrowed, lost=True)
        return False

    async def give_back(self, borrowed: Borrowed, *, lost: bool = False) -> None:
        """Returns the connection to the pool; a dead one, or one still inside a transaction we could not end,
        is invalidated so the pool replaces it instead of lending it out again."""
        connection, pooled = borrowed.connection, borrowed.pooled
        if connection.begun_ahead:
            if not lost and connection.is_usable():
                if not self._has_room() and self._idle:
                    self._idle.pop(0).pooled.close()  # the oldest plain one makes room, back to the pool: no I/O
                if self._has_room():
                    self._begun.keep(borrowed)
                    return
            if not lost and not await self._ended(borrowed):
                return  # dropped
        if not lost and self._has_room() and connection.is_usable() and not connection.in_transaction():
            self._idle.append(borrowed)  # the next borrow takes it back at once
            return
        with store_errors():
            if lost or not connection.is_usable() or connection.in_transaction():
                await greenlet_spawn(pooled.invalidate)  # closes the driver connection: I/O
                pooled.close()
            elif self._lends_without_io:
                pooled.close()  # no transaction of the driver's own to reset (ours ended above): no I/O
            else:
                await greenlet_spawn(pooled.close)  # aiosqlite's reset on return talks to its thread

    # ---- single statements (a Runner) -------------------------------------------------------------------------
    async def fetch(self, statement: Statement, /, **values: Any) -> list[Row]:
        return await self._read(lambda connection: connection.fetch(statement, **values))

    async def fetch_one(self, statement: Statement, /, **values: Any) -> Row | None:
        return await self._read(lambda connection: connection.fetch_one(statement, **values))

    async def fetch_value(self, statement: Statement, /, **values: Any) -> Any:
        return await self._read(lambda connection: connection.fetch_value(statement, **values))

    async def execute(self, statement: Statement, /, **values: Any) -> int:
        return await self._write(lambda connection: connection.execute(statement, **values))

    async def execute_guarded(self, statement: Guarded, /, **values: Any) -> int:
        return await self._write(lambda connection: connection.execute_guarded(statement, **values))

    async def write(self, statement: Statement, /, **values: Any) -> list[Row]:
        return await self._write(lambda connection: connection.fetch(statement, **values))

    async def _write(self, run: Callable[[Connection], Awaitable[T]]) -> T:
        """One change. Postgres: the statement is its own transaction, so none is opened around it (BEGIN and
        COMMIT were two of a single write's three round trips; the worker makes several per callback). SQLite: a
        guarded write is several statements (guarded.py), and a writer takes the write lock at BEGIN IMMEDIATE."""
        if not self._lends_without_io:
            async with self.transaction() as connection:
                return await run(connection)
        borrowed = await self.lend()
        lost = False
        try:
            return await run(borrowed.connection)
        except BaseException as error:
            lost = lost_connection(error)
            raise
        finally:
            await self.give_back(borrowed, lost=lost)

    async def _read(self, run: Callable[[Connection], Awaitable[T]]) -> T:
        """Reads are safe to repeat: one on a pooled connection that died is tried again on the next one."""
        for attempt in range(self._attempts(), 0, -1):
            borrowed = await self._borrow()
            lost = False
            try:
                return await run(borrowed.connection)
            except BaseException as error:
                lost = lost_connection(error)
                if attempt == 1 or not lost:
                    raise
            finally:
                await self.give_back(borrowed, lost=lost)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _borrow(self) -> Borrowed:
        """A connection kept idle by this database (`keep_idle`, the service's own: up to half the pool, so
        readiness and migrations always find one in the pool), else one from the pool, taken from the pool itself
        rather than through an `AsyncConnection` (whose set-up and greenlet hops cost ~85 µs a request). A kept
        Postgres connection is handed out without any I/O, so without a greenlet; opening or waiting for one
        needs it. An idle connection that died is found at its first use and replaced, like a pooled one."""
        if self._idle:  # the last one given back first: the most likely to be alive and warm
            return self._idle.pop()
        pool = self.engine.sync_engine.pool
        with store_errors():  # a failure to connect: the store is down (not retried)
            pooled = None
            if self._lends_without_io and isinstance(pool, QueuePool) and pool.checkedin():
                pooled = kept_connection(pool)
            if pooled is None and is_full(pool):  # no connection to open: a ROLLBACK rather than a wait
                while (begun := self._begun.take()) is not None:
                    if await self._ended(begun):
                        return begun
            if pooled is None:
                pooled = await greenlet_spawn(connect, pool, self.dialect)
        driver = AsyncpgConnection if self.dialect_name == "postgresql" else SqliteConnection
        return Borrowed(pooled, driver(pooled.driver_connection, self.compile))

    def _attempts(self) -> int:
        pool = self.engine.pool
        return pool.size() + 1 if isinstance(pool, QueuePool) else 1
