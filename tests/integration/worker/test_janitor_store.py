"""The janitor's schedule on both stores: which rows are due, the lease a claim takes, and disjoint claims."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.payments.payment import Payment
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import payments, refunds
from infrastructure.db.worker.janitor_store import SqlJanitorStore
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0, new_payment, paid_payment, refund, store

FIRST = timedelta(minutes=5)
LEASE = timedelta(minutes=5)
NOW = T0 + timedelta(hours=1)


@pytest.fixture
def janitor(engine: AsyncEngine) -> SqlJanitorStore:
    return SqlJanitorStore(Database(engine))


def processing(ids: SortableIdGenerator, order_id: str, created: datetime, expires: datetime | None = None) -> Payment:
    payment = new_payment(ids, order_id, at=created)
    payment.attach_checkout_session(f"cs_{order_id}", f"https://pay.example/{order_id}", expires, created)
    return payment


async def claim_payments(janitor: SqlJanitorStore, now: datetime = NOW, limit: int = 100) -> list[str]:
    due = await janitor.claim_due_payments(now, first_check_after=FIRST, lease=LEASE, limit=limit)
    return [d.payment_id for d in due]


async def claim_refunds(janitor: SqlJanitorStore, now: datetime = NOW) -> list[str | None]:
    due = await janitor.claim_due_refunds(now, first_check_after=FIRST, lease=LEASE, limit=100)
    return [d.refund_id for d in due]


async def schedule_of(engine: AsyncEngine, table: sa.Table, row_id: str) -> tuple[int, datetime | None]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(sa.select(table.c.checks, table.c.next_check_at).where(table.c.id == row_id))
        ).one()
    return row.checks, row.next_check_at


async def test_due_payments_follow_the_schedule_rules(
    uow: SqlUnitOfWork, ids: SortableIdGenerator, janitor: SqlJanitorStore, engine: AsyncEngine
) -> None:
    old = processing(ids, "old", NOW - FIRST)
    young = processing(ids, "young", NOW - timedelta(minutes=2))
    young_expired = processing(ids, "young-expired", NOW - timedelta(minutes=2), expires=NOW - timedelta(seconds=1))
    later = processing(ids, "later", NOW - timedelta(days=1))
    overdue = processing(ids, "overdue", NOW - timedelta(days=1))
    paid = paid_payment(ids, "paid", at=NOW - timedelta(days=1))
    await store(uow, old, young, young_expired, later, overdue, paid)
    await janitor.schedule_payment(later.id, 2, NOW + timedelta(seconds=1))
    await janitor.schedule_payment(overdue.id, 3, NOW)

    due = await janitor.claim_due_payments(NOW, first_check_after=FIRST, lease=LEASE, limit=100)

    assert sorted((d.payment_id, d.checks, d.refund_id) for d in due) == sorted(
        [(old.id, 0, None), (young_expired.id, 0, None), (overdue.id, 3, None)]
    )
    assert await schedule_of(engine, payments, old.id) == (0, NOW + LEASE)  # leased, checks unchanged
    assert await schedule_of(engine, payments, later.id) == (2, NOW + timedelta(seconds=1))


async def test_a_claim_is_a_lease_that_runs_out(
    uow: SqlUnitOfWork, ids: SortableIdGenerator, janitor: SqlJanitorStore
) -> None:
    stuck = processing(ids, "stuck", T0)
    await store(uow, stuck)

    assert await claim_payments(janitor) == [stuck.id]
    assert await claim_payments(janitor) == []
    assert await claim_payments(janitor, NOW + LEASE - timedelta(microseconds=1)) == []
    assert await claim_payments(janitor, NOW + LEASE) == [stuck.id]


async def test_the_limit_caps_a_claim(uow: SqlUnitOfWork, ids: SortableIdGenerator, janitor: SqlJanitorStore) -> None:
    await store(uow, *(processing(ids, f"o-{n}", T0) for n in range(5)))

    first, second = await claim_payments(janitor, limit=3), await claim_payments(janitor, limit=3)

    assert (len(first), len(second), set(first) & set(second)) == (3, 2, set())


async def test_scheduling_sets_the_count_and_the_next_check(
    uow: SqlUnitOfWork,
    ids: SortableIdGenerator,
    janitor: SqlJanitorStore,
    engine: AsyncEngine,
) -> None:
    stuck = processing(ids, "stuck", T0)
    paid = paid_payment(ids, "paid", at=T0)
    refund_id = refund(ids, paid, 1_000, T0)
    await store(uow, stuck, paid)

    await janitor.schedule_payment(stuck.id, 4, NOW + timedelta(hours=6))
    await janitor.schedule_refund(refund_id, 1, NOW + timedelta(minutes=15))

    assert await schedule_of(engine, payments, stuck.id) == (4, NOW + timedelta(hours=6))
    assert await schedule_of(engine, refunds, refund_id) == (1, NOW + timedelta(minutes=15))
    assert await claim_payments(janitor, NOW + timedelta(hours=6)) == [stuck.id]


async def test_due_refunds_are_the_pending_ones_past_the_first_wait(
    uow: SqlUnitOfWork, ids: SortableIdGenerator, janitor: SqlJanitorStore
) -> None:
    paid = paid_payment(ids, "paid", amount=10_000, at=T0)
    old = refund(ids, paid, 1_000, NOW - FIRST)
    young = refund(ids, paid, 1_000, NOW - timedelta(minutes=1))
    settled = refund(ids, paid, 1_000, NOW - timedelta(hours=1), succeed=True)
    await store(uow, paid)

    due = await janitor.claim_due_refunds(NOW, first_check_after=FIRST, lease=LEASE, limit=100)

    assert [(d.refund_id, d.payment_id, d.checks) for d in due] == [(old, paid.id, 0)]
    assert await claim_refunds(janitor, NOW + timedelta(minutes=3)) == []  # young: 4 min old; old: leased
    assert await claim_refunds(janitor, NOW + timedelta(days=1)) == sorted([old, young])  # never the settled one
    assert settled not in (old, young)


async def test_concurrent_claimers_take_disjoint_rows_on_postgres(postgres: str, ids: SortableIdGenerator) -> None:
    from infrastructure.db.engine import create_engine

    engine = create_engine(postgres, pool_size=10)
    try:
        await store(SqlUnitOfWork(Database(engine), ids), *(processing(ids, f"o-{n}", T0) for n in range(40)))
        claimers = [SqlJanitorStore(Database(engine)) for _ in range(4)]

        claims = await asyncio.gather(*(claim_payments(c, limit=15) for c in claimers))

        taken = [pid for claim in claims for pid in claim]
        assert len(taken) == len(set(taken)) == 40
    finally:
        await engine.dispose()


async def test_a_row_locked_elsewhere_is_skipped_not_waited_for_on_postgres(
    postgres: str, ids: SortableIdGenerator
) -> None:
    from infrastructure.db.engine import create_engine

    engine = create_engine(postgres, pool_size=5)
    try:
        locked, free = processing(ids, "locked", T0), processing(ids, "free", T0)
        await store(SqlUnitOfWork(Database(engine), ids), locked, free)
        async with engine.begin() as holder:  # e.g. a webhook applying to that payment right now
            await holder.execute(sa.select(payments.c.id).where(payments.c.id == locked.id).with_for_update())

            claimed = await asyncio.wait_for(claim_payments(SqlJanitorStore(Database(engine))), timeout=5)

        assert claimed == [free.id]
    finally:
        await engine.dispose()
