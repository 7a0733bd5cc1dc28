"""The unit of work on both stores: nothing persists without commit(), and concurrent writers are caught."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.errors import ConcurrentUpdate, PaymentNotFound, StoreUnavailable
from domain.payments.errors import RefundExceedsRefundable
from domain.payments.refund import RefundReason
from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import API, T0, new_payment, paid_payment, store
from tests.integration.db.lost_connections import terminate_other_sessions


async def _exists(uow: SqlUnitOfWork, payment_id: str) -> bool:
    async with uow:
        try:
            await uow.payments.get(payment_id)
        except PaymentNotFound:
            return False
        return True


async def test_nothing_is_kept_without_commit(uow: SqlUnitOfWork, ids: SortableIdGenerator) -> None:
    payment = new_payment(ids)
    async with uow:
        await uow.payments.add(payment, API)

    assert not await _exists(uow, payment.id)


async def test_rollback_discards_and_commit_keeps(uow: SqlUnitOfWork, ids: SortableIdGenerator) -> None:
    discarded, kept = new_payment(ids, "order-a"), new_payment(ids, "order-b")
    async with uow:
        await uow.payments.add(discarded, API)
        await uow.rollback()
        await uow.payments.add(kept, API)
        await uow.commit()

    assert not await _exists(uow, discarded.id)
    assert await _exists(uow, kept.id)


async def test_an_error_inside_the_block_rolls_back_and_propagates(
    uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    payment = new_payment(ids)

    async def add_then_fail() -> None:
        async with uow:
            await uow.payments.add(payment, API)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()

    assert not await _exists(uow, payment.id)


async def test_one_unit_of_work_serves_several_blocks_in_turn(uow: SqlUnitOfWork, ids: SortableIdGenerator) -> None:
    payments = [new_payment(ids, f"order-{n}") for n in range(3)]
    for payment in payments:
        async with uow:
            await uow.payments.add(payment, API)
            await uow.commit()

    assert [await _exists(uow, p.id) for p in payments] == [True, True, True]


async def test_entering_an_open_unit_of_work_again_is_refused(uow: SqlUnitOfWork) -> None:
    async with uow:
        with pytest.raises(RuntimeError, match="already open"):
            await uow.__aenter__()


async def test_a_stale_copy_cannot_overwrite_a_newer_write(uow: SqlUnitOfWork, ids: SortableIdGenerator) -> None:
    payment = new_payment(ids)
    await store(uow, payment)
    async with uow:  # two readers, neither locking
        first = await uow.payments.get(payment.id)
    async with uow:
        second = await uow.payments.get(payment.id)

    first.succeed(T0 + timedelta(seconds=1))
    second.fail("declined", T0 + timedelta(seconds=2))
    async with uow:
        await uow.payments.save(first, API)
        await uow.commit()
    async with uow:
        with pytest.raises(ConcurrentUpdate) as refused:
            await uow.payments.save(second, API)

    assert refused.value.aggregate_id == payment.id
    async with uow:
        assert (await uow.payments.get(payment.id)).status.value == "succeeded"


async def test_concurrent_refunds_never_exceed_the_amount(engine: AsyncEngine, ids: SortableIdGenerator) -> None:
    payment = paid_payment(ids, amount=10_000)
    await store(SqlUnitOfWork(Database(engine), ids), payment)

    async def refund_3000() -> bool:
        async with SqlUnitOfWork(Database(engine), ids) as uow:
            current = await uow.payments.get(payment.id, for_update=True)
            try:
                current.request_refund(ids.new("re"), 3_000, RefundReason.OTHER, None, T0)
            except RefundExceedsRefundable:
                return False
            await uow.payments.save(current, API)
            await uow.commit()
            return True

    outcomes = await asyncio.gather(*(refund_3000() for _ in range(6)))

    assert outcomes.count(True) == 3
    async with SqlUnitOfWork(Database(engine), ids) as uow:
        assert sum(r.amount.amount for r in (await uow.payments.get(payment.id)).refunds) == 9_000


@pytest.mark.parametrize(
    "url",
    ["sqlite+aiosqlite:////nonexistent-directory/payments.db", "postgresql+asyncpg://postgres@127.0.0.1:1/none"],
    ids=["sqlite", "postgres"],
)
async def test_an_unreachable_store_is_reported_as_unavailable(url: str, ids: SortableIdGenerator) -> None:
    engine = create_engine(url)
    try:
        with pytest.raises(StoreUnavailable):
            async with SqlUnitOfWork(Database(engine), ids) as uow:  # the transaction begins with its first statement
                await uow.payments.find_live_for_order("order-1")
    finally:
        await engine.dispose()
        # aiosqlite stops its worker thread after a failed connect without awaiting it; let the thread finish
        # while this test's loop is still open, or it reports "Event loop is closed" during a later test
        await asyncio.sleep(0.1)


async def test_a_lost_connection_is_reported_as_unavailable_and_then_replaced(
    postgres: str, ids: SortableIdGenerator
) -> None:
    engine = create_engine(postgres)
    uow = SqlUnitOfWork(Database(engine), ids)

    async def read_after_losing_the_connection() -> None:
        async with uow:
            await uow.payments.find_live_for_order("order-1")  # the transaction has begun on a connection
            await terminate_other_sessions(engine)
            await uow.payments.get("pay_any")

    try:
        with pytest.raises(StoreUnavailable):
            await read_after_losing_the_connection()
        assert not await _exists(uow, "pay_any")  # the pool replaced the dead connection
    finally:
        await engine.dispose()
