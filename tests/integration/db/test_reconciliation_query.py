"""The reconciliation summary on both stores, from known data: exact counts, sums, stuck rows and discrepancies."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.cause import Cause
from application.data.reconciliation import IdSample, MoneyGroup, WebhookTrouble
from infrastructure.db.read.reconciliation_query import SqlReconciliationQuery
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import refunds, webhook_events
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0, new_payment, refund, store

SINCE, UNTIL = T0 - timedelta(hours=1), T0 + timedelta(hours=3)
STUCK_BEFORE = UNTIL - timedelta(hours=1)
WEBHOOK = Cause("webhook", "simulator", "evt_1")


async def pay(uow: SqlUnitOfWork, payment_id: str, at: datetime, cause: Cause = WEBHOOK) -> None:
    async with uow:
        payment = await uow.payments.get(payment_id, for_update=True)
        payment.succeed(at)
        await uow.payments.save(payment, cause)
        await uow.commit()


async def add_refunds(
    uow: SqlUnitOfWork, ids: SortableIdGenerator, payment_id: str, *spec: tuple[int, datetime, bool]
) -> list[str]:
    async with uow:
        payment = await uow.payments.get(payment_id, for_update=True)
        made = [refund(ids, payment, amount, at, succeed=succeed) for amount, at, succeed in spec]
        await uow.payments.save(payment, Cause("admin", "ops"))
        await uow.commit()
    return made


async def webhook_event(
    engine: AsyncEngine, ids: SortableIdGenerator, provider: str, status: str, at: datetime
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(webhook_events).values(
                id=ids.new("whe"),
                provider=provider,
                event_id=ids.new("evt"),
                event_type="x",
                status=status,
                headers={},
                body=b"{}",
                received_at=at,
            )
        )


async def test_the_summary_counts_sums_and_flags_exactly(
    engine: AsyncEngine, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    paid = new_payment(ids, "paid", amount=10_000, at=T0)
    stuck = new_payment(ids, "stuck", amount=5_000, at=T0)
    young = new_payment(ids, "young", amount=700, currency="EUR", provider="stripe", at=UNTIL - timedelta(minutes=10))
    refunded = new_payment(ids, "refunded", amount=3_000, at=T0 + timedelta(minutes=1))
    unconfirmed = new_payment(ids, "unconfirmed", amount=1_200, at=T0 + timedelta(minutes=2))
    over = new_payment(ids, "over", amount=2_000, at=T0 + timedelta(minutes=3))
    before = new_payment(ids, "before", amount=99_999, at=SINCE - timedelta(seconds=1))
    await store(uow, paid, stuck, young, refunded, unconfirmed, over, before)
    for payment in (paid, refunded, over, before):
        await pay(uow, payment.id, payment.created_at + timedelta(seconds=5))
    await pay(uow, unconfirmed.id, T0 + timedelta(minutes=3), Cause("admin", "ops"))
    _, pending = await add_refunds(
        uow, ids, refunded.id, (1_000, T0 + timedelta(minutes=5), True), (500, T0 + timedelta(minutes=6), False)
    )
    [over_refund] = await add_refunds(uow, ids, over.id, (2_000, T0 + timedelta(minutes=7), True))
    async with engine.begin() as connection:  # what no code path allows, but a bug or a manual edit might
        await connection.execute(sa.update(refunds).where(refunds.c.id == over_refund).values(amount=2_500))
    for provider, status, at in [
        ("simulator", "failed", T0),
        ("simulator", "failed", T0 + timedelta(minutes=1)),
        ("stripe", "dead", T0),
        ("simulator", "processed", T0),
        ("simulator", "failed", SINCE - timedelta(minutes=1)),
    ]:
        await webhook_event(engine, ids, provider, status, at)

    summary = await SqlReconciliationQuery(Database(engine)).summary(SINCE, UNTIL, STUCK_BEFORE, 50)

    assert summary.payments == (
        MoneyGroup("simulator", "partially_refunded", "USD", 1, 3_000),
        MoneyGroup("simulator", "processing", "USD", 1, 5_000),
        MoneyGroup("simulator", "refunded", "USD", 1, 2_000),
        MoneyGroup("simulator", "succeeded", "USD", 2, 11_200),
        MoneyGroup("stripe", "processing", "EUR", 1, 700),
    )
    assert summary.refunds == (
        MoneyGroup("simulator", "pending", "USD", 1, 500),
        MoneyGroup("simulator", "succeeded", "USD", 2, 3_500),
    )
    assert summary.stuck_payments == IdSample(1, (stuck.id,))
    assert summary.webhook_events == (WebhookTrouble("simulator", "failed", 2), WebhookTrouble("stripe", "dead", 1))
    assert summary.discrepancies.over_refunded == IdSample(1, (over.id,))
    assert summary.discrepancies.paid_without_confirmation == IdSample(1, (unconfirmed.id,))
    assert summary.discrepancies.refunds_stuck_pending == IdSample(1, (pending,))


async def test_samples_are_capped_but_counts_are_not(
    engine: AsyncEngine, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    stuck = [new_payment(ids, f"o-{n}", at=T0 + timedelta(seconds=n)) for n in range(5)]
    await store(uow, *stuck)

    summary = await SqlReconciliationQuery(Database(engine)).summary(SINCE, UNTIL, STUCK_BEFORE, 2)

    assert summary.stuck_payments == IdSample(5, (stuck[0].id, stuck[1].id))  # the oldest first
    assert summary.payments == (MoneyGroup("simulator", "processing", "USD", 5, 50_000),)


async def test_an_empty_window_is_all_zeros(engine: AsyncEngine) -> None:
    summary = await SqlReconciliationQuery(Database(engine)).summary(SINCE, UNTIL, STUCK_BEFORE, 50)

    assert (summary.payments, summary.refunds, summary.webhook_events) == ((), (), ())
    assert summary.stuck_payments == IdSample(0, ())
