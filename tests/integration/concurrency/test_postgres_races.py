"""Concurrency is proven, not assumed: races that broke other integrations, run at once on Postgres."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from application.bus import MessageBus
from application.commands.checkout_order import CheckoutOrder
from application.commands.refund_payment import RefundPayment
from application.queries.get_audit_trail import GetAuditTrail
from application.queries.get_payment import GetPayment
from domain.payments.errors import RefundExceedsRefundable
from infrastructure.container import Container
from infrastructure.db.tables import outbox, payments, refunds, webhook_events
from tests.integration.concurrency.conftest import paid_payment, simulator_webhook

pytestmark = pytest.mark.postgres


async def _count(container: Container, statement: object) -> int:
    async with container.engine().connect() as connection:
        return int((await connection.execute(statement)).scalar_one())  # type: ignore[call-overload]


async def test_sixteen_identical_webhooks_make_one_transition(bus: MessageBus, container: Container) -> None:
    created = await bus.send(CheckoutOrder("order-dup", 5000, "USD"))
    payment_id = created.payment.id
    webhook = simulator_webhook(
        "payment.succeeded", {"payment_id": payment_id, "amount": 5000, "currency": "USD"}, "evt_sim_same"
    )

    receipts = await asyncio.gather(*(bus.send(webhook) for _ in range(16)))

    assert sorted(r.duplicate for r in receipts) == [False] + [True] * 15
    assert len({r.id for r in receipts}) == 1  # every duplicate points at the one stored event
    assert (await bus.send(GetPayment(payment_id))).status == "succeeded"
    trail = await bus.send(GetAuditTrail(payment_id))
    assert [e.type for e in trail].count("payment.succeeded") == 1
    assert await _count(container, select(func.count()).select_from(webhook_events)) == 1
    succeeded_rows = select(func.count()).select_from(outbox).where(outbox.c.event_type == "payment.succeeded")
    assert await _count(container, succeeded_rows) == 1


async def test_concurrent_refunds_never_exceed_the_amount(bus: MessageBus, container: Container) -> None:
    payment = await paid_payment(bus, "order-refunds", 10_000)

    results = await asyncio.gather(
        *(bus.send(RefundPayment(payment.id, 1_500, actor=f"admin-{i}")) for i in range(10)),
        return_exceptions=True,
    )

    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(accepted) == 6  # 6 x 1500 = 9000 fits in 10000; a seventh would not
    assert all(isinstance(r, RefundExceedsRefundable) for r in refused), refused
    reserved = select(func.coalesce(func.sum(refunds.c.amount), 0)).where(
        refunds.c.payment_id == payment.id, refunds.c.status != "failed"
    )
    assert await _count(container, reserved) == 9_000


async def test_concurrent_refunds_of_everything_leave_one(bus: MessageBus, container: Container) -> None:
    payment = await paid_payment(bus, "order-full-refunds", 7_777, "JPY")

    results = await asyncio.gather(
        *(bus.send(RefundPayment(payment.id, None)) for _ in range(10)), return_exceptions=True
    )

    assert sum(not isinstance(r, BaseException) for r in results) == 1
    count = select(func.count()).select_from(refunds).where(refunds.c.payment_id == payment.id)
    assert await _count(container, count) == 1


async def test_concurrent_checkouts_for_one_order_open_one_payment(bus: MessageBus, container: Container) -> None:
    results = await asyncio.gather(*(bus.send(CheckoutOrder("order-race", 2_500, "EUR")) for _ in range(10)))

    assert len({r.payment.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert all(r.payment.checkout_url for r in results)  # the losers hand back a usable checkout too
    rows = select(func.count()).select_from(payments).where(payments.c.order_id == "order-race")
    assert await _count(container, rows) == 1
