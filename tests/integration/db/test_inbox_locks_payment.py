"""Postgres: recording an event applied in the same transaction also locks its payment, in the same statement,
and the repository's `get(for_update=True)` then takes that row instead of locking again (locked_payments.py)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.webhook_events import Applied, InboxEntry
from application.errors import PaymentNotFound
from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0, new_payment, store


@pytest.fixture
async def pg(postgres: str) -> AsyncEngine:
    return create_engine(postgres, pool_size=2)


def _entry(ids: SortableIdGenerator, event_id: str) -> InboxEntry:
    return InboxEntry(ids.new("whe"), "simulator", event_id, "payment.succeeded", {}, b"{}", T0)


async def _locked_elsewhere(engine: AsyncEngine, payment_id: str) -> bool:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    other = await asyncpg.connect(url)
    try:
        await other.execute("SET lock_timeout = '50ms'")
        await other.execute("SELECT 1 FROM payments WHERE id = $1 FOR UPDATE", payment_id)
    except asyncpg.LockNotAvailableError:
        return True
    finally:
        await other.close()
    return False


async def test_the_record_locks_the_payment_and_the_repository_takes_that_row(pg: AsyncEngine) -> None:
    ids = SortableIdGenerator()
    payment = new_payment(ids, "order-inbox-lock")
    uow = SqlUnitOfWork(Database(pg), ids)
    try:
        await store(uow, payment)
        async with uow:
            receipt = await uow.inbox.record(_entry(ids, "evt_lock_1"), applied=Applied(T0, payment.id))
            assert not receipt.duplicate
            assert await _locked_elsewhere(pg, payment.id)  # locked by the inbox's statement
            kept = uow.payments._locked  # type: ignore[attr-defined]
            assert len(kept) == 1
            loaded = await uow.payments.get(payment.id, for_update=True)
            assert (loaded.id, loaded.version, len(kept)) == (payment.id, payment.version, 0)  # taken, not read
        assert not await _locked_elsewhere(pg, payment.id)  # released with the transaction
    finally:
        await pg.dispose()


async def test_a_duplicate_is_still_a_duplicate_and_an_unknown_payment_is_not_found(pg: AsyncEngine) -> None:
    ids = SortableIdGenerator()
    payment = new_payment(ids, "order-inbox-dup")
    uow = SqlUnitOfWork(Database(pg), ids)
    try:
        await store(uow, payment)
        first = _entry(ids, "evt_lock_dup")
        async with uow:
            await uow.inbox.record(first, applied=Applied(T0, payment.id))
            await uow.commit()
        async with uow:
            repeat = await uow.inbox.record(_entry(ids, "evt_lock_dup"), applied=Applied(T0, payment.id))
            assert (repeat.id, repeat.duplicate) == (first.id, True)
        async with uow:
            receipt = await uow.inbox.record(_entry(ids, "evt_lock_nobody"), applied=Applied(T0, "pay_nobody"))
            assert not receipt.duplicate
            with pytest.raises(PaymentNotFound):
                await uow.payments.get("pay_nobody", for_update=True)
    finally:
        await pg.dispose()
