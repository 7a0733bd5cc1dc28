"""The payment repository on both stores: round trips, audit and outbox rows, the live-payment guard."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.cause import Cause
from application.errors import LivePaymentExists, PaymentNotFound
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import RefundReason
from domain.payments.status import PaymentStatus, RefundStatus
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import outbox, payment_events
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import API, T0, new_payment, paid_payment, store

DETAILS = CheckoutDetails(
    return_url="https://shop.example/orders/1/paid",
    cancel_url="https://shop.example/orders/1",
    callback_url="https://orders.example/payment-events",
    customer_email="ada@example.com",
    customer_name="Ada Lovelace",
    description="Order 1 — two books",
    metadata={"cart": "c-9", "nested": {"items": [1, 2], "gift": True}, "note": "ünïcode"},
)


def _everything(ids: SortableIdGenerator) -> Payment:
    """A payment with every field set and refunds in each state."""
    payment = new_payment(ids, "order-all", amount=9_999, currency="EUR", details=DETAILS)
    lagos = timezone(timedelta(hours=1))  # stored as UTC, read back as UTC
    payment.attach_checkout_session(
        "cs_123", "https://pay.example/cs_123", (T0 + timedelta(hours=1)).astimezone(lagos), T0
    )
    payment.succeed(T0 + timedelta(minutes=1))
    kept = payment.request_refund(
        ids.new("re"), 1_000, RefundReason.DUPLICATE, "customer asked", T0 + timedelta(hours=2)
    )
    payment.mark_refund_submitted(kept.id, "rf_1", T0 + timedelta(hours=2))
    payment.settle_refund_succeeded(kept.id, T0 + timedelta(hours=3))
    failed = payment.request_refund(ids.new("re"), 500, RefundReason.OTHER, None, T0 + timedelta(hours=4))
    payment.settle_refund_failed(failed.id, "card closed", T0 + timedelta(hours=5))
    payment.request_refund(ids.new("re"), 200, RefundReason.FRAUDULENT, None, T0 + timedelta(hours=6))
    return payment


async def test_a_payment_with_refunds_round_trips_with_every_field(
    uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    payment = _everything(ids)
    await store(uow, payment)

    async with uow:
        loaded = await uow.payments.get(payment.id)

    assert loaded == payment
    assert loaded.status is PaymentStatus.PARTIALLY_REFUNDED
    assert [r.status for r in loaded.refunds] == [RefundStatus.SUCCEEDED, RefundStatus.FAILED, RefundStatus.PENDING]
    assert loaded.details.metadata == DETAILS.metadata
    for moment in (loaded.created_at, loaded.updated_at, loaded.expires_at, *(r.updated_at for r in loaded.refunds)):
        assert moment is not None
        assert moment.tzinfo is UTC
    assert loaded.pending_events == ()


async def test_saving_changes_bumps_the_version_and_writes_new_and_changed_refunds(
    uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    payment = paid_payment(ids)
    await store(uow, payment)

    async with uow:
        current = await uow.payments.get(payment.id, for_update=True)
        first = current.request_refund(ids.new("re"), 4_000, RefundReason.REQUESTED_BY_CUSTOMER, "half", T0)
        await uow.payments.save(current, API)
        current.settle_refund_succeeded(first.id, T0 + timedelta(seconds=5))  # a second save in one transaction
        await uow.payments.save(current, API)
        await uow.commit()
    async with uow:
        loaded = await uow.payments.get(payment.id)

    assert loaded == current
    assert loaded.version == 2
    assert loaded.status is PaymentStatus.PARTIALLY_REFUNDED
    assert loaded.refund(first.id).status is RefundStatus.SUCCEEDED


async def test_saving_a_payment_loaded_elsewhere_still_writes_its_refunds(
    uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    payment = paid_payment(ids)
    await store(uow, payment)
    payment.request_refund(ids.new("re"), 100, RefundReason.OTHER, None, T0)  # the object add() was given

    async with uow:
        await uow.payments.save(payment, API)
        await uow.commit()
    async with uow:
        assert (await uow.payments.get(payment.id)).refunds == payment.refunds


async def test_events_become_audit_and_outbox_rows_with_the_same_ids(
    uow: SqlUnitOfWork, ids: SortableIdGenerator, engine: AsyncEngine
) -> None:
    payment = new_payment(ids, details=DETAILS)
    await store(uow, payment)
    async with uow:
        current = await uow.payments.get(payment.id, for_update=True)
        current.attach_checkout_session("cs_1", "https://pay.example/cs_1", T0 + timedelta(hours=1), T0)
        current.succeed(T0 + timedelta(seconds=30))
        await uow.payments.save(current, Cause("webhook", "stripe", "evt_stripe_1"))
        await uow.commit()

    async with engine.connect() as connection:
        audit = (await connection.execute(sa.select(payment_events).order_by(payment_events.c.id))).mappings().all()
        pending = (await connection.execute(sa.select(outbox).order_by(outbox.c.id))).mappings().all()

    assert [row["id"] for row in audit] == [row["id"] for row in pending]
    assert all(row["id"].startswith("evt_") for row in audit)
    assert [row["type"] for row in audit] == [
        "payment.initiated",
        "payment.checkout_session_created",
        "payment.succeeded",
    ]
    initiated, session, succeeded = audit
    assert (initiated["source"], initiated["actor"], initiated["provider_event_id"]) == ("api", "orders", None)
    assert (succeeded["source"], succeeded["actor"], succeeded["provider_event_id"]) == (
        "webhook",
        "stripe",
        "evt_stripe_1",
    )
    assert (succeeded["from_status"], succeeded["to_status"]) == ("processing", "succeeded")
    assert initiated["data"] == {"amount": 10_000, "currency": "USD", "provider": "simulator"}
    assert session["data"]["expires_at"] == "2025-03-04T06:06:07.123456Z"
    assert succeeded["at"] == T0 + timedelta(seconds=30)

    envelope = pending[2]["payload"]
    assert envelope == {
        "id": succeeded["id"],
        "type": "payment.succeeded",
        "occurred_at": "2025-03-04T05:06:37.123456Z",
        "payment_id": payment.id,
        "order_id": "order-1",
        "from_status": "processing",
        "to_status": "succeeded",
        "source": "webhook",
        "actor": "stripe",
        "provider_event_id": "evt_stripe_1",
        "data": {"amount": 10_000, "currency": "USD"},
    }
    assert {(row["status"], row["attempts"], row["event_type"]) for row in pending} >= {
        ("pending", 0, "payment.succeeded")
    }
    assert all(row["published_at"] is None for row in pending)


async def test_events_vanish_with_the_transaction_that_wrote_them(
    uow: SqlUnitOfWork, ids: SortableIdGenerator, engine: AsyncEngine
) -> None:
    async with uow:
        await uow.payments.add(new_payment(ids), API)  # no commit

    async with engine.connect() as connection:
        for table in (payment_events, outbox):
            assert (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar_one() == 0


async def test_an_unknown_payment_is_not_found(uow: SqlUnitOfWork) -> None:
    async with uow:
        with pytest.raises(PaymentNotFound):
            await uow.payments.get("pay_missing")


async def test_the_live_payment_of_an_order_is_found_and_ended_ones_are_not(
    uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    failed = new_payment(ids, "order-7")
    failed.fail("declined", T0)
    live = new_payment(ids, "order-7", at=T0 + timedelta(minutes=1))
    await store(uow, failed, live)

    async with uow:
        assert await uow.payments.find_live_for_order("order-7") == live
        assert await uow.payments.find_live_for_order("order-none") is None


async def test_a_second_live_payment_for_an_order_is_refused(uow: SqlUnitOfWork, ids: SortableIdGenerator) -> None:
    await store(uow, paid_payment(ids, "order-2"))

    async with uow:
        with pytest.raises(LivePaymentExists) as refused:
            await uow.payments.add(new_payment(ids, "order-2"), API)
    assert refused.value.order_id == "order-2"


async def test_a_failed_payment_does_not_block_a_new_one(uow: SqlUnitOfWork, ids: SortableIdGenerator) -> None:
    first = new_payment(ids, "order-3")
    await store(uow, first)
    async with uow:
        current = await uow.payments.get(first.id, for_update=True)
        current.fail("declined", T0 + timedelta(seconds=1))
        await uow.payments.save(current, API)
        await uow.commit()

    second = new_payment(ids, "order-3", at=T0 + timedelta(seconds=2))
    await store(uow, second)

    async with uow:
        assert await uow.payments.find_live_for_order("order-3") == second


async def test_concurrent_checkouts_for_one_order_leave_one_live_payment(
    engine: AsyncEngine, ids: SortableIdGenerator
) -> None:
    async def checkout() -> bool:
        try:
            await store(SqlUnitOfWork(Database(engine), ids), new_payment(ids, "order-race"))
        except LivePaymentExists:
            return False
        return True

    outcomes = await asyncio.gather(*(checkout() for _ in range(8)))

    assert outcomes.count(True) == 1
    async with SqlUnitOfWork(Database(engine), ids) as uow:
        assert await uow.payments.find_live_for_order("order-race") is not None
