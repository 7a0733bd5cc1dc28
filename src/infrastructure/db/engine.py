"""The async engine, tuned per store: the one pool, lent to the driver seam (sql/database.py), which runs every
store's statements on the raw driver connection and begins its own transactions there.

SQLite: WAL (readers never block the writer), a 30 s busy timeout, foreign keys on, and the driver's own BEGIN
handling switched off (`isolation_level = None`): the seam, like SQLAlchemy's documented recipe for real
transactions (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#sqlite-transactions), emits BEGIN itself.
What still runs through SQLAlchemy (Alembic's migrations, the migration revision read by the readiness check and
the CLI, tests) gets `BEGIN IMMEDIATE` from the `begin` listener below, which takes the write lock at the start,
so migrations are transactional and queue behind writers; the revision read uses `for_reads(engine)`, whose
plain `BEGIN` takes no lock and never waits behind a writer.

Postgres: a pool of up to twice `pool_size` asyncpg connections, opened on demand and kept. No pre-ping: it costs a
round trip per checkout on the hot path; a dead connection is found at its first use and replaced by the seam.
With `announces_changes` (the service's processes, wired by the composition root) each connection's session says
so (`ANNOUNCES_CHANGES`), and the change-notification triggers leave its writes to the process, which announces
them after commit (migration 0013, db/read/payment_change_announcer.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_SECONDS = 30
POOL_TIMEOUT_SECONDS = 10  # waiting longer for a free connection only delays the 503
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
ANNOUNCES_CHANGES = {"payments.announces_changes": "on"}  # the session setting migration 0013's triggers read

_BEGIN_OPTION = "payments_sqlite_begin"
_BEGIN_STATEMENTS = {"immediate": "BEGIN IMMEDIATE", "deferred": "BEGIN"}


def create_engine(url: str, *, pool_size: int = 10, announces_changes: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, pool_size)
    connect_args: dict[str, Any] = {"timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
    if announces_changes:
        connect_args["server_settings"] = ANNOUNCES_CHANGES
    return create_async_engine(
        url,
        # Up to twice `pool_size` connections, all kept once opened. Overflow connections (the previous setting)
        # are closed at check-in, so a steady 16-32 concurrent requests reconnected many times a second: a TLS
        # probe, a startup, codec setup and every prepared statement again, which cost more CPU than the queries.
        pool_size=pool_size * 2,
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args=connect_args,
    )


def for_reads(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, for read-only work through SQLAlchemy (migrate.current_revision): on SQLite its transactions
    start with a lock-free plain BEGIN."""
    return engine.execution_options(**{_BEGIN_OPTION: "deferred"})


def _sqlite_engine(url: str, pool_size: int) -> AsyncEngine:
    pooling: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": 0,  # SQLite has one writer anyway; more connections only add waiting threads
        "pool_timeout": POOL_TIMEOUT_SECONDS + SQLITE_BUSY_TIMEOUT_SECONDS,
    }
    if make_url(url).database in (None, "", ":memory:"):
        pooling = {}  # one shared connection (StaticPool), which takes no pool sizes
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, **pooling)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # the driver emits no BEGIN: the seam, or `_begin_sqlite_transaction`, does
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        # synchronous stays FULL: NORMAL may lose the last commits on power loss, and an acknowledged webhook
        # must never be lost.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = connection.get_execution_options().get(_BEGIN_OPTION, "immediate")
    connection.exec_driver_sql(_BEGIN_STATEMENTS[mode])
