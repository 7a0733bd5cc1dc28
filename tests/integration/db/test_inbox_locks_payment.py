"""Postgres: recording an event applied in the same transaction also locks its payment, in the same statement,
and the repository's `get(for_update=True)` then takes that row instead of locking again (locked_payments.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.webhook_events import Applied, InboxEntry
from application.errors import PaymentNotFound
from domain.payments.payment import Payment
from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0, new_payment, store


@dataclass
class Stored:
    engine: AsyncEngine
    uow: SqlUnitOfWork
    ids: SortableIdGenerator
    payment: Payment


@pytest.fixture
async def stored(postgres: str) -> AsyncIterator[Stored]:
    """A payment stored on Postgres, and a unit of work to record its events in."""
    engine, ids = create_engine(postgres, pool_size=2), SortableIdGenerator()
    uow = SqlUnitOfWork(Database(engine), ids)
    payment = new_payment(ids, f"order-{ids.new('o')}")
    try:
        await store(uow, payment)
        yield Stored(engine, uow, ids, payment)
    finally:
        await engine.dispose()


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


async def test_the_record_locks_the_payment_and_the_repository_takes_that_row(stored: Stored) -> None:
    uow, ids, payment = stored.uow, stored.ids, stored.payment
    async with uow:
        receipt = await uow.inbox.record(_entry(ids, "evt_lock_1"), applied=Applied(T0, payment.id))
        assert not receipt.duplicate
        assert await _locked_elsewhere(stored.engine, payment.id)  # locked by the inbox's statement
        kept = uow.payments._locked  # type: ignore[attr-defined]
        assert len(kept) == 1
        loaded = await uow.payments.get(payment.id, for_update=True)
        assert (loaded.id, loaded.version, len(kept)) == (payment.id, payment.version, 0)  # taken, not read
    assert not await _locked_elsewhere(stored.engine, payment.id)  # released with the transaction


async def test_a_duplicate_is_still_a_duplicate_and_an_unknown_payment_is_not_found(stored: Stored) -> None:
    uow, ids, payment = stored.uow, stored.ids, stored.payment
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
