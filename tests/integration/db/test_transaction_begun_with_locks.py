"""A unit of work's transaction begins with its first statement; the velocity locks go in BEGIN's round trip.

Seen from Postgres itself: `pg_stat_activity.query` is the last simple query a session received, whole, and
`pg_locks` the advisory locks it holds. On a connection whose last COMMIT opened its next transaction, the locks go
alone; on one found dead, BEGIN and the locks are sent again on another connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.ports.risk import RecentCount
from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database, TransactionRolledBack
from infrastructure.db.sql.first_statement_begins import FirstStatementBegins
from infrastructure.db.sql.one_statement import SecondStatementRefused
from infrastructure.db.write.recent_checkouts import lock_all
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.databases import dsn
from tests.integration.db.builders import T0, new_payment, store

KEYS = [7, -3, 2**62]


@dataclass
class Store:
    engine: AsyncEngine
    database: Database
    admin: asyncpg.Connection


@pytest.fixture
async def db(postgres: str) -> AsyncIterator[Store]:
    engine = create_engine(postgres, pool_size=2)
    database = Database(engine)
    admin = await asyncpg.connect(dsn(postgres))
    try:
        yield Store(engine, database, admin)
    finally:
        await admin.close()
        await database.close()
        await engine.dispose()


async def _session(db: Store, transaction: FirstStatementBegins) -> tuple[str, str, list[int]]:
    """The transaction's session as Postgres sees it (its last query, its state, the advisory locks it holds);
    then the transaction is ended and its connection given back."""
    assert transaction.borrowed is not None
    pid = transaction.borrowed.connection.raw.get_server_pid()  # type: ignore[attr-defined]
    query, state = await db.admin.fetchrow("SELECT query, state FROM pg_stat_activity WHERE pid = $1", pid)
    locks = await db.admin.fetch(
        "SELECT (classid::bigint << 32) | objid::bigint AS key FROM pg_locks "
        "WHERE pid = $1 AND locktype = 'advisory' AND granted",
        pid,
    )
    await db.database.rollback(transaction.borrowed.connection)
    await db.database.give_back(transaction.borrowed)
    return query, state, sorted(row["key"] for row in locks)


async def test_the_locks_open_the_transaction_in_begins_round_trip(db: Store) -> None:
    transaction = FirstStatementBegins(db.database)

    await transaction.begin_with(lock_all(KEYS))

    query, state, locks = await _session(db, transaction)
    assert query == f"BEGIN; {lock_all(KEYS)}"
    assert state == "idle in transaction"
    assert locks == sorted(KEYS)


async def test_on_a_connection_begun_ahead_the_locks_go_alone(db: Store, ids: SortableIdGenerator) -> None:
    db.database.keep_idle(1)
    await store(SqlUnitOfWork(db.database, ids), new_payment(ids))  # its COMMIT opens the next transaction
    transaction = FirstStatementBegins(db.database)

    await transaction.begin_with(lock_all(KEYS))

    query, state, locks = await _session(db, transaction)
    assert query == lock_all(KEYS)
    assert state == "idle in transaction"
    assert locks == sorted(KEYS)


async def test_a_pooled_connection_found_dead_is_replaced_before_the_locks(db: Store, ids: SortableIdGenerator) -> None:
    await store(SqlUnitOfWork(db.database, ids), new_payment(ids))  # a connection waits in the pool
    await db.admin.execute(  # every session but this test's own (lost_connections.py's helper would end it too)
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    transaction = FirstStatementBegins(db.database)

    await transaction.begin_with(lock_all(KEYS))

    query, _, locks = await _session(db, transaction)
    assert query == f"BEGIN; {lock_all(KEYS)}"
    assert locks == sorted(KEYS)


async def test_a_block_that_runs_no_statement_borrows_no_connection(db: Store, ids: SortableIdGenerator) -> None:
    uow = SqlUnitOfWork(db.database, ids)
    pool = db.engine.sync_engine.pool

    async with uow:
        await uow.commit()
        assert pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_command_that_failed_in_a_begun_transaction_is_seen_at_commit(db: Store) -> None:
    """Even swallowed: the COMMIT is not chained with the next BEGIN (which would hide its ROLLBACK answer)."""
    db.database.keep_idle(1)  # a kept connection's COMMIT would otherwise be `COMMIT; BEGIN`
    transaction = FirstStatementBegins(db.database)
    await transaction.fetch_value(sa.select(sa.literal(1).label("one")))  # the transaction has begun

    with pytest.raises(asyncpg.DivisionByZeroError):
        await transaction.begin_with("SELECT pg_advisory_xact_lock(1 / 0)")

    assert transaction.borrowed is not None
    with pytest.raises(TransactionRolledBack):
        await db.database.commit(transaction.borrowed.connection)
    await db.database.give_back(transaction.borrowed)


async def test_a_one_write_block_refuses_the_locks_it_has_no_transaction_for(
    db: Store, ids: SortableIdGenerator
) -> None:
    uow = SqlUnitOfWork(db.database, ids).one_write()

    async with uow:
        with pytest.raises(SecondStatementRefused):
            await uow.recent_checkouts.count([RecentCount("email", "buyer@example.com", T0)])
