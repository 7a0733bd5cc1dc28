"""Engine settings that correctness depends on."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.views import TransactionFilter
from infrastructure.db.engine import create_engine
from infrastructure.db.read.read_model import SqlPaymentReadModel
from infrastructure.db.sql.database import Database
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import API, new_payment


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite: str) -> None:
    engine = create_engine(sqlite)
    try:
        async with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert (await pragma("PRAGMA journal_mode")).scalar_one() == "wal"
            assert (await pragma("PRAGMA foreign_keys")).scalar_one() == 1
            assert (await pragma("PRAGMA busy_timeout")).scalar_one() == 30_000
    finally:
        await engine.dispose()


async def test_reads_are_not_blocked_by_an_open_write_transaction(
    engine: AsyncEngine, ids: SortableIdGenerator
) -> None:
    reads = SqlPaymentReadModel(Database(engine))
    async with SqlUnitOfWork(Database(engine), ids) as uow:  # holds SQLite's write lock (BEGIN IMMEDIATE)
        await uow.payments.add(new_payment(ids), API)
        page = await asyncio.wait_for(reads.transactions(TransactionFilter(), 10, None), timeout=5)
        assert page.data == ()  # uncommitted work is invisible


async def test_foreign_keys_are_enforced(engine: AsyncEngine) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        async with engine.begin() as connection:
            await connection.exec_driver_sql(
                "INSERT INTO payment_events (id, payment_id, at, type, source, data) "
                "VALUES ('evt_1', 'pay_missing', CURRENT_TIMESTAMP, 'x', 'api', '{}')"
            )
