"""Queries answer from the read model and never change anything."""

from __future__ import annotations

import pytest

from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.commands.refund_payment import RefundPayment
from application.data.provider_news import EventAction
from application.errors import InvalidCursor, PaymentNotFound, ProviderError, TransactionNotFound
from application.queries.get_audit_trail import GetAuditTrail
from application.queries.get_payment import GetPayment
from application.queries.get_payment_status import GetPaymentStatus
from application.queries.get_transaction import GetTransaction
from application.queries.list_transactions import ListTransactions
from application.views import TransactionFilter
from tests.unit.fakes import T0, FakeProvider, Harness, harness, webhook


async def paid(h: Harness, order_id: str = "order-1", amount: int = 10_000, currency: str = "USD") -> str:
    result = await h.send(CheckoutOrder(order_id, amount, currency, actor="orders"))
    headers, body = webhook(f"evt_{result.payment.id}", EventAction.PAYMENT_SUCCEEDED, result.payment.id)
    await h.send(HandleProviderWebhook("fake", headers, body))
    return result.payment.id


async def test_an_unknown_payment_is_payment_not_found() -> None:
    h = harness()
    with pytest.raises(PaymentNotFound) as missing:
        await h.send(GetPayment("pay_missing"))
    assert missing.value.payment_id == "pay_missing"


async def test_the_payment_with_its_refunds() -> None:
    h = harness()
    pid = await paid(h)
    h.clock.advance(minutes=10)
    refund = await h.send(RefundPayment(pid, 2_500))
    headers, body = webhook("evt_r", EventAction.REFUND_SUCCEEDED, pid, refund_id=refund.id)
    await h.send(HandleProviderWebhook("fake", headers, body))

    view = await h.send(GetPayment(pid))

    assert (view.id, view.order_id, view.status, view.amount, view.amount_refunded, view.currency) == (
        pid,
        "order-1",
        "partially_refunded",
        10_000,
        2_500,
        "USD",
    )
    assert (view.provider, view.provider_reference) == ("fake", FakeProvider.session_reference(pid))
    assert (view.created_at, view.updated_at) == (T0, h.clock.now())
    assert [(r.id, r.amount, r.status) for r in view.refunds] == [(refund.id, 2_500, "succeeded")]


async def test_a_failed_payment_says_why() -> None:
    h = harness()
    h.provider.checkout_error = ProviderError("fake", "declined")
    with pytest.raises(ProviderError):
        await h.send(CheckoutOrder("order-1", 10_000, "USD"))
    [pid] = h.store.payments
    view = await h.send(GetPayment(pid))
    assert (view.status, view.failure_reason) == ("failed", "provider refused the checkout: declined")


async def test_an_order_without_payments_is_payment_not_found() -> None:
    h = harness()
    with pytest.raises(PaymentNotFound, match="order-9"):
        await h.send(GetPaymentStatus("order-9"))


async def test_the_order_status_is_its_latest_payment() -> None:
    h = harness()
    first = await h.send(CheckoutOrder("order-1", 10_000, "USD"))
    headers, body = webhook("evt_x", EventAction.PAYMENT_EXPIRED, first.payment.id)
    await h.send(HandleProviderWebhook("fake", headers, body))
    h.clock.advance(minutes=1)
    latest = await paid(h, amount=12_000)

    status = await h.send(GetPaymentStatus("order-1"))

    assert (status.order_id, status.payment_id, status.status, status.amount, status.amount_refunded) == (
        "order-1",
        latest,
        "succeeded",
        12_000,
        0,
    )
    assert (status.currency, status.provider, status.updated_at) == ("USD", "fake", h.clock.now())


async def test_the_audit_trail_of_an_unknown_payment_is_payment_not_found() -> None:
    h = harness()
    with pytest.raises(PaymentNotFound):
        await h.send(GetAuditTrail("pay_missing"))


async def test_the_audit_trail_oldest_first_with_its_causes() -> None:
    h = harness()
    pid = await paid(h)
    await h.send(RefundPayment(pid, 1_000, actor="support"))

    trail = await h.send(GetAuditTrail(pid))

    assert [(e.type, e.from_status, e.to_status, e.source, e.actor, e.provider_event_id) for e in trail] == [
        ("payment.initiated", None, "processing", "api", "orders", None),
        ("payment.checkout_session_created", "processing", "processing", "api", "orders", None),
        ("payment.succeeded", "processing", "succeeded", "webhook", "fake", f"evt_{pid}"),
        ("refund.requested", "succeeded", "succeeded", "admin", "support", None),
        ("refund.submitted", "succeeded", "succeeded", "admin", "support", None),
    ]
    assert trail[0].data == {"amount": 10_000, "currency": "USD", "provider": "fake"}


async def test_a_transaction_by_our_id_or_the_providers_reference() -> None:
    h = harness()
    pid = await paid(h)
    refund = await h.send(RefundPayment(pid, 1_000))

    by_id = await h.send(GetTransaction(pid))
    by_reference = await h.send(GetTransaction(FakeProvider.session_reference(pid)))
    refund_by_reference = await h.send(GetTransaction(FakeProvider.refund_reference(refund.id)))

    assert by_id == by_reference
    assert (by_id.kind, by_id.id, by_id.amount, by_id.status) == ("payment", pid, 10_000, "succeeded")
    assert (refund_by_reference.kind, refund_by_reference.id, refund_by_reference.payment_id) == (
        "refund",
        refund.id,
        pid,
    )
    assert (refund_by_reference.amount, refund_by_reference.status) == (1_000, "pending")


async def test_an_unknown_transaction_is_transaction_not_found() -> None:
    h = harness()
    with pytest.raises(TransactionNotFound) as missing:
        await h.send(GetTransaction("cs_nothing"))
    assert missing.value.reference == "cs_nothing"


async def test_transactions_newest_first_with_filters() -> None:
    h = harness()
    first = await paid(h, "order-1")
    h.clock.advance(minutes=1)
    second = await paid(h, "order-2", 500, "EUR")
    h.clock.advance(minutes=1)
    refund = await h.send(RefundPayment(first, 1_000))

    everything = await h.send(ListTransactions())
    refunds = await h.send(ListTransactions(TransactionFilter(kind="refund")))
    euros = await h.send(ListTransactions(TransactionFilter(currency="EUR")))
    order_1 = await h.send(ListTransactions(TransactionFilter(order_id="order-1", status="succeeded")))

    assert [(t.kind, t.id) for t in everything.data] == [("refund", refund.id), ("payment", second), ("payment", first)]
    assert everything.next_cursor is None
    assert [t.id for t in refunds.data] == [refund.id]
    assert [t.id for t in euros.data] == [second]
    assert [t.id for t in order_1.data] == [first]


async def test_transactions_page_with_a_cursor() -> None:
    h = harness()
    ids = []
    for n in range(5):
        ids.append(await paid(h, f"order-{n}"))
        h.clock.advance(seconds=1)
    newest_first = list(reversed(ids))

    page_1 = await h.send(ListTransactions(limit=2))
    page_2 = await h.send(ListTransactions(limit=2, cursor=page_1.next_cursor))
    page_3 = await h.send(ListTransactions(limit=2, cursor=page_2.next_cursor))

    assert [t.id for t in page_1.data + page_2.data + page_3.data] == newest_first
    assert page_3.next_cursor is None
    with pytest.raises(InvalidCursor):
        await h.send(ListTransactions(cursor="not-ours"))


async def test_the_page_size_is_kept_between_1_and_200() -> None:
    h = harness()
    for n in range(201):
        await h.send(CheckoutOrder(f"order-{n}", 100, "USD"))

    for limit, page_size in [(0, 1), (-5, 1), (1, 1), (200, 200), (201, 200), (10_000, 200)]:
        page = await h.send(ListTransactions(limit=limit))
        assert len(page.data) == page_size, limit
        assert page.next_cursor == page.data[-1].id, limit
