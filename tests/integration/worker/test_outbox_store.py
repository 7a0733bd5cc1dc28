"""The outbox as the relay sees it: leased claims, expiry, release, relayed and failed (SQLite and Postgres)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.sql.database import Database
from infrastructure.db.tables import outbox as outbox_table
from infrastructure.db.worker.outbox_store import SqlOutbox
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0, paid_payment, store

NOW = T0 + timedelta(days=1)
LEASE = timedelta(seconds=60)
EVENTS = ["payment.initiated", "payment.checkout_session_created", "payment.succeeded"]


async def seeded(uow: SqlUnitOfWork, ids: SortableIdGenerator) -> str:
    payment = paid_payment(ids)
    await store(uow, payment)
    return payment.id


async def test_claim_leases_due_messages_oldest_first(
    outbox: SqlOutbox, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    payment_id = await seeded(uow, ids)

    claimed = await outbox.claim("w1", NOW, LEASE, 10)

    assert [m.event_type for m in claimed] == EVENTS
    assert {m.payment_id for m in claimed} == {payment_id}
    assert all(m.attempts == 0 and m.id.startswith("evt_") for m in claimed)
    assert claimed[-1].payload["type"] == "payment.succeeded"
    assert await outbox.claim("w2", NOW, LEASE, 10) == []  # leased to w1
    assert await outbox.pending_count() == 3


async def test_claim_respects_the_limit(outbox: SqlOutbox, uow: SqlUnitOfWork, ids: SortableIdGenerator) -> None:
    await seeded(uow, ids)
    first = await outbox.claim("w1", NOW, LEASE, 2)
    rest = await outbox.claim("w2", NOW, LEASE, 2)
    assert [m.event_type for m in first + rest] == EVENTS


async def test_an_expired_lease_lets_another_worker_claim_again(
    outbox: SqlOutbox, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    await seeded(uow, ids)
    first = await outbox.claim("w1", NOW, LEASE, 10)  # w1 "dies" holding the lease

    assert await outbox.claim("w2", NOW + LEASE - timedelta(seconds=1), LEASE, 10) == []
    again = await outbox.claim("w2", NOW + LEASE + timedelta(seconds=1), LEASE, 10)

    assert [m.id for m in again] == [m.id for m in first]


async def test_release_gives_leases_back_at_once(
    outbox: SqlOutbox, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    await seeded(uow, ids)
    await outbox.claim("w1", NOW, LEASE, 10)

    await outbox.release("w2")  # someone else's release changes nothing
    assert await outbox.claim("w2", NOW, LEASE, 10) == []
    await outbox.release("w1")

    assert len(await outbox.claim("w2", NOW, LEASE, 10)) == 3


async def test_marking_relayed_touches_only_the_messages_named(
    outbox: SqlOutbox, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    await seeded(uow, ids)
    first, second, third = await outbox.claim("w1", NOW, LEASE, 10)

    await outbox.mark_relayed([], NOW)  # a batch where nothing got through
    await outbox.mark_relayed([first.id, third.id], NOW)

    assert await outbox.pending_count() == 1
    again = await outbox.claim("w2", NOW + LEASE + timedelta(seconds=1), LEASE, 10)
    assert [m.id for m in again] == [second.id]  # still leased to w1 until then, and still pending


async def test_relayed_messages_are_never_claimed_again(
    outbox: SqlOutbox, uow: SqlUnitOfWork, ids: SortableIdGenerator, engine: AsyncEngine
) -> None:
    await seeded(uow, ids)
    claimed = await outbox.claim("w1", NOW, LEASE, 10)
    await outbox.mark_relayed([m.id for m in claimed], NOW)  # the relay marks its batch at once

    assert await outbox.claim("w2", NOW + timedelta(days=1), LEASE, 10) == []
    assert await outbox.pending_count() == 0
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(outbox_table))).mappings().all()
    assert {(r["status"], r["claimed_by"], r["published_at"]) for r in rows} == {("relayed", None, NOW)}


async def test_a_failed_message_waits_for_its_next_attempt(
    outbox: SqlOutbox, uow: SqlUnitOfWork, ids: SortableIdGenerator, engine: AsyncEngine
) -> None:
    await seeded(uow, ids)
    first, *_ = await outbox.claim("w1", NOW, LEASE, 1)
    await outbox.mark_failed(first.id, "ConnectionError: broker down", NOW + timedelta(minutes=5))

    soon = await outbox.claim("w2", NOW + timedelta(minutes=1), timedelta(seconds=1), 10)
    later = await outbox.claim("w3", NOW + timedelta(minutes=6), LEASE, 10)

    assert first.id not in {m.id for m in soon}  # not due yet, though its lease was released
    retried = [m for m in later if m.id == first.id]  # (the others' 1 s leases from w2 have expired too)
    assert len(retried) == 1
    assert retried[0].attempts == 1
    async with engine.connect() as connection:
        error = (
            await connection.execute(sa.select(outbox_table.c.last_error).where(outbox_table.c.id == first.id))
        ).scalar_one()
    assert error == "ConnectionError: broker down"


@pytest.mark.parametrize("workers", [4])
async def test_concurrent_workers_never_claim_the_same_row_on_postgres(
    postgres: str, workers: int, ids: SortableIdGenerator
) -> None:
    from infrastructure.db.engine import create_engine

    engine = create_engine(postgres, pool_size=workers)
    try:
        rows = [
            {
                "id": ids.new("evt"),
                "event_type": "payment.succeeded",
                "aggregate_id": "pay_x",
                "payload": {},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": T0,
                "created_at": T0 + timedelta(milliseconds=i),
            }
            for i in range(200)
        ]
        async with engine.begin() as connection:
            await connection.execute(sa.insert(outbox_table), rows)
        outbox = SqlOutbox(Database(engine))

        async def worker(name: str) -> list[str]:
            taken: list[str] = []
            while batch := await outbox.claim(name, NOW, LEASE, 7):
                taken += [m.id for m in batch]
            return taken

        results = await asyncio.gather(*(worker(f"w{i}") for i in range(workers)))
    finally:
        await engine.dispose()

    every = [row_id for taken in results for row_id in taken]
    assert len(every) == len(set(every)) == 200  # each row once, none twice, none missed
