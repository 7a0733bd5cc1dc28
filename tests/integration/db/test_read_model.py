"""The read model on both stores: order status, payment view, audit trail, transactions with keyset pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.cause import Cause
from application.errors import InvalidCursor
from application.views import TransactionFilter, TransactionView
from domain.payments.payment import CheckoutDetails, Payment
from infrastructure.db.read.cursor import encode_cursor
from infrastructure.db.read.read_model import SqlPaymentReadModel
from infrastructure.db.sql.database import Database
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0, new_payment, paid_payment, refund, store


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@dataclass
class Seeded:
    payments: dict[str, Payment]
    rows: list[TransactionView]  # every transaction, newest first


def _views(payment: Payment) -> list[TransactionView]:
    common = {"payment_id": payment.id, "order_id": payment.order_id, "provider": payment.provider}
    rows = [
        TransactionView(
            id=payment.id,
            kind="payment",
            provider_reference=payment.provider_reference,
            amount=payment.amount.amount,
            currency=payment.amount.currency.code,
            status=payment.status.value,
            created_at=payment.created_at,
            updated_at=payment.updated_at,
            **common,
        )
    ]
    for r in payment.refunds:
        rows.append(
            TransactionView(
                id=r.id,
                kind="refund",
                provider_reference=r.provider_reference,
                amount=r.amount.amount,
                currency=r.amount.currency.code,
                status=r.status.value,
                created_at=r.created_at,
                updated_at=r.updated_at,
                **common,
            )
        )
    return rows


@pytest.fixture
async def seeded(engine: AsyncEngine, ids: SortableIdGenerator) -> Seeded:
    card = paid_payment(ids, "order-1", provider="stripe", at=T0)
    refund(ids, card, 1_000, T0 + minutes(10), succeed=True)
    refund(ids, card, 500, T0 + minutes(11))
    euro = new_payment(ids, "order-2", currency="EUR", provider="paystack", at=T0 + minutes(1))
    declined = new_payment(ids, "order-3", at=T0 + minutes(1))  # same instant as `euro`: the id breaks the tie
    declined.fail("card declined", T0 + minutes(2))
    retry = new_payment(ids, "order-3", at=T0 + minutes(3))
    yen = paid_payment(ids, "order-5", amount=5_000, currency="JPY", provider="stripe", at=T0 + minutes(4))
    returned = paid_payment(ids, "order-6", provider="stripe", at=T0 + minutes(5))
    refund(ids, returned, 10_000, T0 + minutes(10), succeed=True)  # same instant as card's first refund
    everything = [card, euro, declined, retry, yen, returned]
    await store(SqlUnitOfWork(Database(engine), ids), *everything)
    rows = [row for p in everything for row in _views(p)]
    rows.sort(key=lambda row: (row.created_at, row.id), reverse=True)
    return Seeded({p.order_id + ("-failed" if p is declined else ""): p for p in everything}, rows)


@pytest.fixture
def reads(database: Database) -> SqlPaymentReadModel:
    return SqlPaymentReadModel(database)


async def test_the_order_status_is_its_latest_payment(reads: SqlPaymentReadModel, seeded: Seeded) -> None:
    retry = seeded.payments["order-3"]
    status = await reads.payment_status("order-3")

    assert status is not None
    assert (status.payment_id, status.status, status.amount, status.amount_refunded) == (
        retry.id,
        "processing",
        10_000,
        0,
    )
    assert await reads.payment_status("order-unknown") is None


async def test_the_order_status_counts_only_succeeded_refunds(reads: SqlPaymentReadModel, seeded: Seeded) -> None:
    status = await reads.payment_status("order-1")

    assert status is not None
    assert (status.status, status.amount_refunded, status.currency, status.provider) == (
        "partially_refunded",
        1_000,
        "USD",
        "stripe",
    )
    assert status.updated_at == seeded.payments["order-1"].updated_at


async def test_a_payment_view_carries_its_refunds_and_checkout_details(
    reads: SqlPaymentReadModel, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    details = CheckoutDetails(
        return_url="https://shop.example/r",
        cancel_url="https://shop.example/c",
        callback_url="https://orders.example/events",
        customer_email="ada@example.com",
        customer_name="Ada",
        description="Two books",
        metadata={"cart": "c-9"},
    )
    payment = new_payment(ids, "order-9", details=details)
    payment.succeed(T0 + minutes(1))
    done = refund(ids, payment, 2_500, T0 + minutes(2), succeed=True)
    await store(uow, payment)

    view = await reads.payment(payment.id)

    assert view is not None
    assert (view.status, view.amount_refunded, view.metadata) == ("partially_refunded", 2_500, {"cart": "c-9"})
    assert (view.return_url, view.cancel_url) == ("https://shop.example/r", "https://shop.example/c")
    assert (view.callback_url, view.description) == ("https://orders.example/events", "Two books")
    assert (view.customer_email, view.customer_name) == ("ada@example.com", "Ada")
    assert [(r.id, r.status, r.provider_reference) for r in view.refunds] == [(done, "succeeded", f"ref_{done}")]
    assert view.created_at == T0
    assert await reads.payment("pay_unknown") is None


async def test_many_payments_read_at_once_are_each_what_a_single_read_gives(
    reads: SqlPaymentReadModel, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    first, second, plain = (new_payment(ids, f"order-{n}") for n in (1, 2, 3))
    for payment in (first, second):
        payment.succeed(T0 + minutes(1))
    # refunds of both payments, interleaved in time: each view must get its own, oldest first
    refunds = [
        refund(ids, payment, 100, T0 + minutes(n), succeed=True) for n, payment in enumerate((first, second) * 2, 2)
    ]
    await store(uow, first, second, plain)

    views = await reads.payments([first.id, second.id, plain.id, "pay_unknown"])

    assert set(views) == {first.id, second.id, plain.id}  # an unknown id is simply absent
    for payment in (first, second, plain):
        assert views[payment.id] == await reads.payment(payment.id)
    assert [r.id for r in views[first.id].refunds] == refunds[0::2]
    assert [r.id for r in views[second.id].refunds] == refunds[1::2]
    assert views[plain.id].refunds == ()
    assert await reads.payments([]) == {}


async def test_the_audit_trail_is_oldest_first(
    reads: SqlPaymentReadModel, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    payment = new_payment(ids)
    await store(uow, payment)
    async with uow:
        current = await uow.payments.get(payment.id, for_update=True)
        current.succeed(T0 + minutes(1))
        await uow.payments.save(current, Cause("webhook", "simulator", "evt_sim_1"))
        await uow.commit()

    trail = await reads.audit_trail(payment.id)

    assert trail is not None
    assert [(e.type, e.from_status, e.to_status, e.source) for e in trail] == [
        ("payment.initiated", None, "processing", "api"),
        ("payment.succeeded", "processing", "succeeded", "webhook"),
    ]
    assert trail[1].provider_event_id == "evt_sim_1"
    assert trail[1].at == T0 + minutes(1)
    assert await reads.audit_trail("pay_unknown") is None


async def test_transactions_list_payments_and_refunds_newest_first(reads: SqlPaymentReadModel, seeded: Seeded) -> None:
    page = await reads.transactions(TransactionFilter(), 50, None)

    assert list(page.data) == seeded.rows
    assert page.next_cursor is None


FILTERS: dict[str, tuple[TransactionFilter, Callable[[TransactionView], bool]]] = {
    "status": (TransactionFilter(status="succeeded"), lambda r: r.status == "succeeded"),
    "provider": (TransactionFilter(provider="stripe"), lambda r: r.provider == "stripe"),
    "kind-payment": (TransactionFilter(kind="payment"), lambda r: r.kind == "payment"),
    "kind-refund": (TransactionFilter(kind="refund"), lambda r: r.kind == "refund"),
    "order": (TransactionFilter(order_id="order-1"), lambda r: r.order_id == "order-1"),
    "currency": (TransactionFilter(currency="JPY"), lambda r: r.currency == "JPY"),
    "created-after": (TransactionFilter(created_after=T0 + minutes(4)), lambda r: r.created_at >= T0 + minutes(4)),
    "created-before": (TransactionFilter(created_before=T0 + minutes(3)), lambda r: r.created_at < T0 + minutes(3)),
    "combined": (
        TransactionFilter(provider="stripe", kind="refund", status="succeeded", created_after=T0 + minutes(10)),
        lambda r: r.provider == "stripe" and r.kind == "refund" and r.status == "succeeded",
    ),
}


@pytest.mark.parametrize("name", FILTERS)
async def test_transactions_filter(reads: SqlPaymentReadModel, seeded: Seeded, name: str) -> None:
    filters, keep = FILTERS[name]
    expected = [row for row in seeded.rows if keep(row)]

    page = await reads.transactions(filters, 50, None)

    assert expected  # the seed covers every filter
    assert list(page.data) == expected


@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize("filters", [TransactionFilter(), TransactionFilter(provider="stripe")], ids=["all", "stripe"])
async def test_pages_cover_every_row_once(
    reads: SqlPaymentReadModel, seeded: Seeded, limit: int, filters: TransactionFilter
) -> None:
    seen: list[TransactionView] = []
    cursor: str | None = None
    for _ in range(len(seeded.rows) + 1):
        page = await reads.transactions(filters, limit, cursor)
        assert len(page.data) <= limit
        seen.extend(page.data)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == [row for row in seeded.rows if filters.provider in (None, row.provider)]


async def test_a_full_last_page_has_no_next_cursor(reads: SqlPaymentReadModel, seeded: Seeded) -> None:
    page = await reads.transactions(TransactionFilter(), len(seeded.rows), None)

    assert len(page.data) == len(seeded.rows)
    assert page.next_cursor is None


@pytest.mark.parametrize(
    "cursor",
    ["garbage!", "bm90IGEgY3Vyc29y", encode_cursor(T0, "pay_1")[:-3] + "***", "MjAyNS0wMS0wMVQwMDowMDowMA", "w4g"],
)
async def test_a_cursor_we_did_not_issue_is_refused(reads: SqlPaymentReadModel, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        await reads.transactions(TransactionFilter(), 10, cursor)


async def test_one_transaction_by_id_or_provider_reference(reads: SqlPaymentReadModel, seeded: Seeded) -> None:
    card = seeded.payments["order-1"]
    first_refund = card.refunds[0]
    by_id = {row.id: row for row in seeded.rows}

    assert await reads.transaction(card.id) == by_id[card.id]
    assert await reads.transaction(f"cs_{card.id}") == by_id[card.id]
    assert await reads.transaction(first_refund.id) == by_id[first_refund.id]
    assert await reads.transaction(f"ref_{first_refund.id}") == by_id[first_refund.id]
    assert await reads.transaction("unknown") is None
