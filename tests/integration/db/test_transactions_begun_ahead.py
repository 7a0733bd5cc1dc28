"""A kept Postgres connection's COMMIT opens its next transaction in the same round trip (begun_ahead.py).

These pin what that must not change: the next unit of work on it sends no BEGIN and its work is committed; the
transaction opened ahead holds nothing (no transaction id, no snapshot, no lock) and is ended once `BEGUN_FOR`
old; a COMMIT after a swallowed failure is still reported; a statement after COMMIT in the same block is refused;
a single statement never runs inside one; one the server ended meanwhile is replaced; `close` ends them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.engine import create_engine
from infrastructure.db.sql import begun_ahead
from infrastructure.db.sql.database import Database, TransactionRolledBack
from infrastructure.db.sql.drivers import StatementAfterCommit
from infrastructure.db.sql.pooled import Borrowed
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.databases import dsn
from tests.integration.db.builders import API, new_payment, store
from tests.integration.db.lost_connections import seen_closed


@dataclass
class Kept:
    engine: AsyncEngine
    database: Database
    uow: SqlUnitOfWork
    ids: SortableIdGenerator
    admin: asyncpg.Connection


@pytest.fixture
async def kept(postgres: str) -> AsyncIterator[Kept]:
    """A database that keeps one connection between uses, as the service's processes keep theirs."""
    engine, ids = create_engine(postgres, pool_size=2), SortableIdGenerator()
    database = Database(engine)
    database.keep_idle(1)
    admin = await asyncpg.connect(dsn(postgres))
    try:
        yield Kept(engine, database, SqlUnitOfWork(database, ids), ids, admin)
    finally:
        await admin.close()
        await database.close()
        await engine.dispose()


def only_begun(database: Database) -> Borrowed:
    (begun,) = database._begun
    assert database._idle == []
    return begun


async def session_of(kept: Kept, borrowed: Borrowed) -> asyncpg.Record:
    pid = borrowed.connection.raw.get_server_pid()
    row = await kept.admin.fetchrow("SELECT state, backend_xid, backend_xmin FROM pg_stat_activity WHERE pid = $1", pid)
    assert row is not None
    return row


async def stored_ids(kept: Kept, *order_ids: str) -> list[str]:
    rows = await kept.admin.fetch("SELECT order_id FROM payments WHERE order_id = ANY($1) ORDER BY order_id", order_ids)
    return [row["order_id"] for row in rows]


async def test_the_next_unit_of_work_on_a_kept_connection_sends_no_begin_and_commits_its_work(kept: Kept) -> None:
    await store(kept.uow, new_payment(kept.ids, "order-ahead-1"))
    begun = only_begun(kept.database)
    sent: list[str] = []
    begun.connection.raw.add_query_logger(lambda record: sent.append(record.query))

    await store(kept.uow, new_payment(kept.ids, "order-ahead-2"))

    await asyncio.sleep(0.05)  # asyncpg calls query loggers soon after, not during, the statement
    assert [query.split()[0] for query in sent[:-1]] == ["WITH"]  # the insert: no BEGIN before it
    assert sent[-1] == "COMMIT; BEGIN"
    assert only_begun(kept.database) is begun
    assert await stored_ids(kept, "order-ahead-1", "order-ahead-2") == ["order-ahead-1", "order-ahead-2"]


async def test_the_transaction_opened_ahead_holds_nothing_and_is_ended_when_not_used_in_time(
    kept: Kept, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(begun_ahead, "BEGUN_FOR", 0.2)
    await store(kept.uow, new_payment(kept.ids, "order-ahead-idle"))
    begun = only_begun(kept.database)

    session = await session_of(kept, begun)
    assert (session["state"], session["backend_xid"], session["backend_xmin"]) == ("idle in transaction", None, None)
    async with kept.admin.transaction():  # no lock either: the strongest one is granted at once
        await kept.admin.execute("SET LOCAL lock_timeout = '1s'")
        await kept.admin.execute("LOCK TABLE payments IN ACCESS EXCLUSIVE MODE")

    await asyncio.sleep(0.5)
    assert kept.database._idle == [begun]  # ended, and kept as a plain connection
    assert len(kept.database._begun) == 0
    assert (await session_of(kept, begun))["state"] == "idle"


async def test_a_commit_after_a_swallowed_failure_is_still_reported_and_opens_nothing(kept: Kept) -> None:
    first, duplicate = new_payment(kept.ids, "order-ahead-f1"), new_payment(kept.ids, "order-ahead-f2")
    duplicate.id = first.id
    await store(kept.uow, new_payment(kept.ids, "order-ahead-before"))  # the next transaction is opened ahead
    async with kept.uow as uow:
        await uow.payments.add(first, API)
        with pytest.raises(asyncpg.UniqueViolationError):  # swallowed by a careless caller
            await uow.payments.add(duplicate, API)
        with pytest.raises(TransactionRolledBack):
            await uow.commit()
    assert await stored_ids(kept, "order-ahead-f1", "order-ahead-f2") == []
    (plain,) = kept.database._idle
    assert not plain.connection.in_transaction()
    assert len(kept.database._begun) == 0


async def test_a_statement_after_commit_in_the_same_block_is_refused(kept: Kept) -> None:
    payment = new_payment(kept.ids, "order-ahead-after")
    async with kept.uow as uow:
        await uow.payments.add(payment, API)
        await uow.commit()
        with pytest.raises(StatementAfterCommit):  # it would run in the connection's next transaction
            await uow.payments.get(payment.id)
    assert await stored_ids(kept, "order-ahead-after") == ["order-ahead-after"]
    async with kept.uow as uow:  # the connection is fine for its next use
        assert (await uow.payments.get(payment.id)).order_id == "order-ahead-after"


async def test_a_single_statement_never_runs_inside_a_transaction_opened_ahead(kept: Kept) -> None:
    await store(kept.uow, new_payment(kept.ids, "order-ahead-first"))
    begun = only_begun(kept.database)

    async with kept.uow.one_write() as one:  # one statement outside any transaction: it commits itself
        await one.payments.add(new_payment(kept.ids, "order-ahead-single"), API)

    assert await stored_ids(kept, "order-ahead-single") == ["order-ahead-single"]
    # while the pool may open another connection, the statement runs there: the kept transaction is left for the
    # next unit of work, untouched
    assert only_begun(kept.database) is begun
    session = await session_of(kept, begun)
    assert (session["state"], session["backend_xid"]) == ("idle in transaction", None)


async def test_with_every_connection_open_and_lent_a_single_statement_ends_a_transaction_opened_ahead(
    postgres: str, kept: Kept
) -> None:
    engine = create_engine(postgres, pool_size=1)  # two connections at most
    database = Database(engine)
    database.keep_idle(1)
    uow = SqlUnitOfWork(database, kept.ids)
    try:
        await store(uow, new_payment(kept.ids, "order-ahead-full-1"))
        begun = only_begun(database)
        other = await database.lend()  # the pool's last connection, lent elsewhere

        async with uow.one_write() as one:
            await one.payments.add(new_payment(kept.ids, "order-ahead-full-2"), API)

        assert await stored_ids(kept, "order-ahead-full-2") == ["order-ahead-full-2"]
        assert database._idle == [begun]  # its transaction ended first (ROLLBACK) rather than waiting for the pool
        assert not begun.connection.in_transaction()
        await database.give_back(other)
    finally:
        await database.close()
        await engine.dispose()


async def test_a_connection_the_server_ended_while_its_transaction_waited_is_replaced(kept: Kept) -> None:
    await store(kept.uow, new_payment(kept.ids, "order-ahead-lost-1"))
    begun = only_begun(kept.database)
    await kept.admin.execute(  # every other session ends: a restart, or idle_in_transaction_session_timeout
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    assert await seen_closed(begun.connection)

    await store(kept.uow, new_payment(kept.ids, "order-ahead-lost-2"))

    assert await stored_ids(kept, "order-ahead-lost-2") == ["order-ahead-lost-2"]
    assert only_begun(kept.database) is not begun


async def test_close_ends_the_transactions_opened_ahead_and_gives_every_connection_back(kept: Kept) -> None:
    await store(kept.uow, new_payment(kept.ids, "order-ahead-close"))
    begun = only_begun(kept.database)
    pid = begun.connection.raw.get_server_pid()

    await kept.database.close()

    assert kept.engine.sync_engine.pool.checkedout() == 0
    state = await kept.admin.fetchval("SELECT state FROM pg_stat_activity WHERE pid = $1", pid)
    assert state == "idle"  # back in the pool, outside any transaction


async def test_one_given_back_with_its_next_transaction_open_takes_a_plain_ones_place_rather_than_being_ended(
    kept: Kept,
) -> None:
    """The kept connections are capped (half the pool stays for readiness and migrations): when the place went to
    a plain connection while this one committed, the plain one goes back to the pool (no I/O) instead of a
    ROLLBACK of the transaction the next unit of work would use."""
    plain = await kept.database.lend()
    transaction = await kept.database.begin()
    await kept.database.commit(transaction.connection)  # room for one kept connection: the next one is opened
    await kept.database.give_back(plain)  # took that room meanwhile

    await kept.database.give_back(transaction)

    assert only_begun(kept.database) is transaction
    assert kept.engine.sync_engine.pool.checkedin() == 1  # the plain one, for the next single statement
    assert (await session_of(kept, plain))["state"] == "idle"
