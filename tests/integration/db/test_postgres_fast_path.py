"""On Postgres the unit of work and the status read run on the asyncpg driver connection (the driver seam).

Every repository, inbox, unit-of-work and concurrency test already runs on it through the Postgres leg; these
tests pin what only Postgres shows: that asyncpg is the driver taken, that a failed statement whose error was
swallowed cannot be committed, and that pooled connections that died are replaced without failing requests.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.engine import create_engine
from infrastructure.db.read.read_model import SqlPaymentReadModel
from infrastructure.db.sql.database import Database, TransactionRolledBack
from infrastructure.db.sql.drivers import AsyncpgConnection
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import API, new_payment, store


async def test_on_postgres_the_unit_of_work_runs_on_the_driver_connection(postgres: str) -> None:
    engine = create_engine(postgres)
    try:
        async with SqlUnitOfWork(Database(engine), SortableIdGenerator()) as uow:
            await uow.payments.find_live_for_order("order-1")  # the transaction begins with its first statement
            for runner in (uow.payments._runner, uow.inbox._runner):  # type: ignore[attr-defined]
                assert runner.borrowed is not None
                assert isinstance(runner.borrowed.connection, AsyncpgConnection)
    finally:
        await engine.dispose()


async def test_a_transaction_with_a_failed_statement_is_never_reported_committed(postgres: str) -> None:
    """Postgres answers COMMIT of an aborted transaction with ROLLBACK, not an error: it must not pass silently."""
    engine, ids = create_engine(postgres), SortableIdGenerator()
    uow = SqlUnitOfWork(Database(engine), ids)
    first, duplicate = new_payment(ids, "order-fast-1"), new_payment(ids, "order-fast-2")
    duplicate.id = first.id
    try:
        async with uow:
            await uow.payments.add(first, API)
            with pytest.raises(asyncpg.UniqueViolationError):  # swallowed by a careless caller
                await uow.payments.add(duplicate, API)
            with pytest.raises(TransactionRolledBack):
                await uow.commit()
        async with engine.connect() as connection:
            stored = await connection.exec_driver_sql("SELECT count(*) FROM payments WHERE id = $1", (first.id,))
            assert stored.scalar_one() == 0
    finally:
        await engine.dispose()


async def test_pooled_connections_that_died_are_replaced_without_failing_the_next_requests(postgres: str) -> None:
    """After a database restart every pooled connection is dead; reads and units of work still succeed."""
    engine, ids = create_engine(postgres, pool_size=2), SortableIdGenerator()
    payment = new_payment(ids, "order-fast-lost")
    read_model = SqlPaymentReadModel(Database(engine))
    try:
        await store(SqlUnitOfWork(Database(engine), ids), payment)
        await asyncio.gather(*(read_model.payment_status(payment.order_id) for _ in range(4)))  # 4 pooled
        await _terminate_pooled_sessions(engine)

        async with SqlUnitOfWork(Database(engine), ids) as uow:
            assert (await uow.payments.get(payment.id)).id == payment.id
        view = await read_model.payment_status(payment.order_id)
        assert view is not None
        assert view.payment_id == payment.id
    finally:
        await engine.dispose()


async def _terminate_pooled_sessions(engine: AsyncEngine) -> None:
    url = engine.url.set(drivername="postgresql")
    admin = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()


async def test_connections_kept_idle_are_lent_again_replaced_when_dead_and_given_back_at_close(postgres: str) -> None:
    engine, ids = create_engine(postgres, pool_size=2), SortableIdGenerator()
    database = Database(engine)
    database.keep_idle(2)
    payment = new_payment(ids, "order-fast-idle")
    read_model = SqlPaymentReadModel(database)
    try:
        await store(SqlUnitOfWork(database, ids), payment)
        first = await database._borrow()
        await database.give_back(first)
        again = await database._borrow()
        assert again.connection.raw is first.connection.raw  # kept, not returned to the pool
        await database.give_back(again)

        await asyncio.gather(*(read_model.payment_status(payment.order_id) for _ in range(4)))
        await _terminate_pooled_sessions(engine)  # the kept ones die too
        view = await read_model.payment_status(payment.order_id)
        assert view is not None
        assert view.payment_id == payment.id

        pool = engine.sync_engine.pool
        await database.close()
        assert pool.checkedout() == 0  # nothing kept once closed
    finally:
        await engine.dispose()
