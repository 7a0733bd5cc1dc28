"""The webhook inbox on both stores: one row per (provider, event id), whatever the timing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.webhook_events import InboxEntry, InboxStatus
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import webhook_events
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0

BODY = b'{"id": "evt_1", "type": "payment.succeeded", "amount": 100}'


def _entry(ids: SortableIdGenerator, event_id: str = "evt_1", provider: str = "simulator") -> InboxEntry:
    return InboxEntry(
        id=ids.new("whe"),
        provider=provider,
        event_id=event_id,
        event_type="payment.succeeded",
        headers={"simulator-signature": "t=1,v1=abc", "content-type": "application/json"},
        body=BODY,
        received_at=T0,
    )


async def _row(engine: AsyncEngine, entry_id: str) -> sa.RowMapping:
    async with engine.connect() as connection:
        result = await connection.execute(sa.select(webhook_events).where(webhook_events.c.id == entry_id))
        return result.mappings().one()


async def test_an_event_is_stored_once_and_a_repeat_gets_the_first_id(
    uow: SqlUnitOfWork, ids: SortableIdGenerator, engine: AsyncEngine
) -> None:
    first = _entry(ids)
    async with uow:
        receipt = await uow.inbox.record(first)
        await uow.commit()
    async with uow:
        repeat = await uow.inbox.record(_entry(ids))
        other_provider = await uow.inbox.record(_entry(ids, provider="stripe"))
        await uow.commit()

    assert (receipt.id, receipt.duplicate) == (first.id, False)
    assert (repeat.id, repeat.duplicate) == (first.id, True)
    assert not other_provider.duplicate
    row = await _row(engine, first.id)
    assert row["status"] == "received"
    assert row["body"] == BODY
    assert row["headers"] == dict(first.headers)
    assert row["received_at"] == T0
    assert row["attempts"] == 0


async def test_marking_records_the_outcome(uow: SqlUnitOfWork, ids: SortableIdGenerator, engine: AsyncEngine) -> None:
    entry = _entry(ids)
    async with uow:
        await uow.inbox.record(entry)
        await uow.inbox.mark(entry.id, InboxStatus.PROCESSED, reason=None, payment_id="pay_1", at=T0)
        await uow.commit()

    row = await _row(engine, entry.id)
    assert (row["status"], row["reason"], row["payment_id"], row["processed_at"]) == ("processed", None, "pay_1", T0)
    assert row["next_attempt_at"] is None


async def test_each_failure_counts_an_attempt_and_schedules_a_retry(
    uow: SqlUnitOfWork, ids: SortableIdGenerator, engine: AsyncEngine
) -> None:
    entry = _entry(ids)
    async with uow:
        await uow.inbox.record(entry)
        await uow.inbox.mark(
            entry.id, InboxStatus.FAILED, reason="payment pay_9 not found (yet)", payment_id="pay_9", at=T0
        )
        later = T0 + timedelta(minutes=1)
        await uow.inbox.mark(entry.id, InboxStatus.FAILED, reason="still missing", payment_id=None, at=later)
        await uow.commit()

    row = await _row(engine, entry.id)
    assert (row["status"], row["reason"], row["attempts"]) == ("failed", "still missing", 2)
    assert row["payment_id"] == "pay_9"  # kept when a later mark does not know it
    assert row["next_attempt_at"] == later + timedelta(seconds=30)


async def test_concurrent_deliveries_of_one_event_store_it_once(engine: AsyncEngine, ids: SortableIdGenerator) -> None:
    async def deliver() -> tuple[str, bool]:
        async with SqlUnitOfWork(Database(engine), ids) as uow:
            receipt = await uow.inbox.record(_entry(ids, "evt_race"))
            await uow.commit()
            return receipt.id, receipt.duplicate

    receipts = await asyncio.gather(*(deliver() for _ in range(8)))

    assert [duplicate for _, duplicate in receipts].count(False) == 1
    assert len({entry_id for entry_id, _ in receipts}) == 1
