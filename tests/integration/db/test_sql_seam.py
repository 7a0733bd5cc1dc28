"""The driver seam on both stores: one Core statement, compiled once per dialect, run on asyncpg or aiosqlite,
reading back exactly what it wrote (aware UTC datetimes, JSON, bytes), many rows in one parameter, guarded writes,
transactions that roll back unless they end normally, and stale pooled connections replaced."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.sql.database import Database, TransactionRolledBack
from infrastructure.db.sql.guarded import TOUCHED, Guarded
from infrastructure.db.sql.json_rows import insert_rows
from infrastructure.db.tables import payment_events, payments
from tests.integration.db.lost_connections import seen_closed, terminate_other_sessions

T0 = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)

_COLUMNS = ("id", "order_id", "amount", "currency", "provider", "status", "metadata", "created_at")
INSERT_PAYMENT = sa.insert(payments).values(
    {**{name: sa.bindparam(name) for name in _COLUMNS}, "updated_at": sa.bindparam("created_at")}
)
PAYMENT = sa.select(payments.c.id, payments.c.amount, payments.c.metadata, payments.c.created_at).where(
    payments.c.id == sa.bindparam("id")
)
EVENTS = (
    sa.select(payment_events.c.id, payment_events.c.at, payment_events.c.data)
    .where(payment_events.c.payment_id == sa.bindparam("payment_id"))
    .order_by(payment_events.c.id)
)
BUMP = (
    sa.update(payments)
    .where(payments.c.id == sa.bindparam("id"), payments.c.version == sa.bindparam("version"))
    .values(version=payments.c.version + 1)
    .returning(TOUCHED)
)
BUMP_WITH_EVENTS = Guarded(BUMP, ((payment_events, "events", tuple(payment_events.c.keys())),))


@pytest.fixture
def db(engine: AsyncEngine) -> Database:
    return Database(engine)


async def add_payment(db: Database, payment_id: str = "pay_1") -> None:
    await db.execute(
        INSERT_PAYMENT,
        id=payment_id,
        order_id="order-1",
        amount=2**40,
        currency="EUR",
        provider="stripe",
        status="processing",
        metadata={"cart": "c-9", "nested": [1, {"x": None}]},
        created_at=T0,
    )


def event(n: int, payment_id: str = "pay_1") -> dict[str, object]:
    return {
        "id": f"evt_{n}",
        "payment_id": payment_id,
        "at": T0 + timedelta(seconds=n),
        "type": "payment.thing",
        "from_status": None,
        "to_status": "processing",
        "source": "api",
        "actor": None,
        "provider_event_id": None,
        "data": {"n": n, "text": "ünïcode ' \" \\"},
    }


async def test_what_is_written_reads_back_the_same(db: Database) -> None:
    await add_payment(db)

    row = await db.fetch_one(PAYMENT, id="pay_1")

    assert row is not None
    assert dict(row) == {
        "id": "pay_1",
        "amount": 2**40,
        "metadata": {"cart": "c-9", "nested": [1, {"x": None}]},
        "created_at": T0,
    }
    assert row["created_at"].tzinfo is not None
    assert await db.fetch_one(PAYMENT, id="pay_missing") is None


async def test_many_rows_in_one_parameter(db: Database) -> None:
    await add_payment(db)

    async with db.transaction() as tx:
        await tx.execute(insert_rows(payment_events, "rows"), rows=[event(1), event(2), event(3)])

    rows = await db.fetch(EVENTS, payment_id="pay_1")
    assert [(r["id"], r["at"], r["data"]) for r in rows] == [
        (f"evt_{n}", T0 + timedelta(seconds=n), {"n": n, "text": "ünïcode ' \" \\"}) for n in (1, 2, 3)
    ]


async def test_a_guarded_write_brings_its_rows_only_when_it_touched_one(db: Database) -> None:
    await add_payment(db)

    assert await db.execute_guarded(BUMP_WITH_EVENTS, id="pay_1", version=0, events=[event(1)]) == 1
    assert await db.execute_guarded(BUMP_WITH_EVENTS, id="pay_1", version=0, events=[event(2)]) == 0  # stale

    assert [r["id"] for r in await db.fetch(EVENTS, payment_id="pay_1")] == ["evt_1"]


async def test_a_transaction_rolls_back_unless_it_ends_normally(db: Database) -> None:
    await add_payment(db)

    async def fail_after_writing() -> None:
        async with db.transaction() as tx:
            await tx.execute(insert_rows(payment_events, "rows"), rows=[event(1)])
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        await fail_after_writing()

    assert await db.fetch(EVENTS, payment_id="pay_1") == []


async def test_a_statement_compiles_once(db: Database) -> None:
    await add_payment(db)
    await db.fetch_one(PAYMENT, id="pay_1")
    compiled = db.compile(PAYMENT)

    await db.fetch_one(PAYMENT, id="pay_1")

    assert db.compile(PAYMENT) is compiled
    assert "?" in compiled.text or "$1" in compiled.text  # the driver's own placeholders


async def test_an_unknown_parameter_name_is_a_clear_error(db: Database) -> None:
    with pytest.raises(TypeError, match="missing value for SQL parameter 'id'"):
        await db.fetch_one(PAYMENT, payment_id="pay_1")


@pytest.mark.postgres
async def test_postgres_a_failed_commit_is_not_mistaken_for_success(postgres: str) -> None:
    from infrastructure.db.engine import create_engine

    engine = create_engine(postgres, pool_size=2)
    db = Database(engine)
    try:
        borrowed = await db.begin()
        with pytest.raises(asyncpg.DivisionByZeroError):  # the statement's own error: a bug, not an outage
            await borrowed.connection.fetch(sa.select(sa.literal_column("1/0")))
        with pytest.raises(TransactionRolledBack):
            await db.commit(borrowed.connection)
        await db.give_back(borrowed)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgres_connections_that_died_are_replaced_at_first_use(postgres: str) -> None:
    from infrastructure.db.engine import create_engine

    engine = create_engine(postgres, pool_size=2)
    db = Database(engine)
    try:
        await add_payment(db)
        # every pooled connection dies with the database's restart (here: terminated by an administrator)
        borrowed = [await db.begin() for _ in range(4)]  # the whole pool (twice pool_size)
        killer = borrowed.pop()
        for victim in borrowed:
            await db.rollback(victim.connection)
            pid = victim.connection.raw.get_server_pid()
            await killer.connection.fetch(sa.select(sa.func.pg_terminate_backend(sa.bindparam("p"))), p=pid)
        for victim in borrowed:
            await db.give_back(victim)  # idle and, as far as the pool can tell, healthy
        await db.rollback(killer.connection)
        await db.give_back(killer)

        assert (await db.fetch_one(PAYMENT, id="pay_1")) is not None  # a read: retried on the next connection
        async with db.transaction() as tx:  # a transaction: the dead one is found at BEGIN and replaced
            await tx.execute(insert_rows(payment_events, "rows"), rows=[event(9)])
        assert [r["id"] for r in await db.fetch(EVENTS, payment_id="pay_1")] == ["evt_9"]
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgres_a_single_write_is_its_own_transaction_on_a_live_connection(postgres: str) -> None:
    from infrastructure.db.engine import create_engine

    engine = create_engine(postgres, pool_size=2)
    db = Database(engine)
    db.keep_idle(2)
    sent: list[str] = []
    try:
        await add_payment(db)  # a single write: its connection is now kept idle
        (kept,) = db._idle
        kept.connection.raw.add_query_logger(lambda record: sent.append(record.query.split()[0].upper()))
        assert await db.execute_guarded(BUMP_WITH_EVENTS, id="pay_1", version=0, events=[event(1)]) == 1
        await asyncio.sleep(0.05)  # asyncpg calls query loggers soon after, not during, the statement
        assert sent == ["WITH"]  # the guarded write alone: no BEGIN, no COMMIT around it

        # the server ends the kept connection (a restart); the next write goes out on a new one
        await terminate_other_sessions(engine)
        await seen_closed(kept.connection)
        assert await db.execute(insert_rows(payment_events, "rows"), rows=[event(2)]) == 1
        assert [r["id"] for r in await db.fetch(EVENTS, payment_id="pay_1")] == ["evt_1", "evt_2"]
    finally:
        await db.close()
        await engine.dispose()
