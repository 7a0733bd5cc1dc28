"""Refunds: reserved in our books first, then sent to the provider exactly once."""

from __future__ import annotations

import pytest

from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.commands.refund_payment import RefundPayment
from application.data.cause import Cause
from application.data.provider_news import EventAction
from application.errors import PaymentNotFound, ProviderError, ProviderUnavailable
from domain.payments.errors import PaymentNotRefundable, RefundExceedsRefundable
from domain.payments.payment import Payment
from domain.payments.refund import Refund, RefundReason
from domain.payments.status import PaymentStatus, RefundStatus
from domain.shared.money import Money
from tests.unit.fakes import FakeProvider, Harness, RefundCall, harness, webhook

ADMIN = Cause("admin", "support")


async def paid_payment(h: Harness, amount: int = 10_000) -> str:
    result = await h.send(CheckoutOrder("order-1", amount, "USD"))
    headers, body = webhook("evt_paid", EventAction.PAYMENT_SUCCEEDED, result.payment.id)
    await h.send(HandleProviderWebhook("fake", headers, body))
    assert h.store.payment(result.payment.id).status is PaymentStatus.SUCCEEDED
    return result.payment.id


def refund_rows(h: Harness, payment_id: str) -> list[tuple[str, Cause]]:
    return [(row.event, row.cause) for row in h.store.audit if row.payment_id == payment_id and row.event.startswith("refund.")]  # fmt: skip


async def test_the_refund_is_reserved_before_the_provider_is_asked_once() -> None:
    h = harness()
    pid = await paid_payment(h)
    reserved: list[tuple[RefundStatus, Money]] = []

    def look_at_the_store(payment: Payment, refund: Refund) -> None:
        committed = h.store.payment(payment.id)
        reserved.append((committed.refund(refund.id).status, committed.refundable))

    h.provider.on_refund = look_at_the_store

    view = await h.send(RefundPayment(pid, 2_500, RefundReason.DUPLICATE, note="double order", actor="support"))

    assert reserved == [(RefundStatus.PENDING, Money.of(7_500, "USD"))]
    assert h.provider.refunds == [RefundCall(pid, view.id, 2_500, "USD")]
    assert view.id.startswith("re_")
    assert (view.payment_id, view.amount, view.currency, view.status, view.reason) == (
        pid,
        2_500,
        "USD",
        "pending",
        "duplicate",
    )
    assert view.provider_reference == FakeProvider.refund_reference(view.id)
    stored = h.store.payment(pid)
    refund = stored.refund(view.id)
    assert (refund.status, refund.provider_reference, refund.note) == (
        RefundStatus.PENDING,
        view.provider_reference,
        "double order",
    )
    assert stored.status is PaymentStatus.SUCCEEDED  # the status waits for the money to move
    assert refund_rows(h, pid) == [("refund.requested", ADMIN), ("refund.submitted", ADMIN)]


async def test_no_amount_refunds_all_that_remains() -> None:
    h = harness()
    pid = await paid_payment(h)
    first = await h.send(RefundPayment(pid, 3_000))

    rest = await h.send(RefundPayment(pid, None))

    assert (first.amount, rest.amount) == (3_000, 7_000)
    assert [call.amount for call in h.provider.refunds] == [3_000, 7_000]
    assert h.store.payment(pid).refundable == Money.of(0, "USD")


async def test_a_refund_the_provider_settles_at_once_moves_the_payment() -> None:
    h = harness()
    pid = await paid_payment(h)
    h.provider.refund_status = RefundStatus.SUCCEEDED

    partial = await h.send(RefundPayment(pid, 4_000))
    assert partial.status == "succeeded"
    assert h.store.payment(pid).status is PaymentStatus.PARTIALLY_REFUNDED

    rest = await h.send(RefundPayment(pid, None))
    assert rest.status == "succeeded"
    payment = h.store.payment(pid)
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, Money.of(10_000, "USD"))
    assert h.store.events_of(pid)[-4:] == [
        "refund.requested",
        "refund.submitted",
        "refund.succeeded",
        "payment.refunded",
    ]


async def test_a_provider_refusal_fails_the_refund_and_is_raised() -> None:
    h = harness()
    pid = await paid_payment(h)
    h.provider.refund_error = ProviderError("fake", "charge is too old to refund", status=400)

    with pytest.raises(ProviderError):
        await h.send(RefundPayment(pid, 2_500, actor="support"))

    payment = h.store.payment(pid)
    [refund] = payment.refunds
    assert (refund.status, refund.failure_reason) == (RefundStatus.FAILED, "charge is too old to refund")
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.refundable == Money.of(10_000, "USD")  # the failed refund released its funds
    assert refund_rows(h, pid) == [("refund.requested", ADMIN), ("refund.failed", ADMIN)]
    assert len(h.provider.refunds) == 1


async def test_an_unavailable_provider_leaves_the_refund_pending_and_is_not_asked_twice() -> None:
    h = harness()
    pid = await paid_payment(h)
    h.provider.refund_error = ProviderUnavailable("fake", "timed out")

    view = await h.send(RefundPayment(pid, 2_500))

    assert (view.status, view.provider_reference) == ("pending", None)
    assert len(h.provider.refunds) == 1
    payment = h.store.payment(pid)
    assert payment.refund(view.id).status is RefundStatus.PENDING
    assert payment.refundable == Money.of(7_500, "USD")  # still held until it is settled
    assert h.store.events_of(pid)[-1] == "refund.requested"


async def test_a_webhook_that_overtakes_the_providers_answer_wins() -> None:
    h = harness()
    pid = await paid_payment(h)

    async def settled_by_webhook_first(payment: Payment, refund: Refund) -> None:
        headers, body = webhook("evt_refund", EventAction.REFUND_SUCCEEDED, payment.id, refund_id=refund.id)
        await h.send(HandleProviderWebhook("fake", headers, body))

    h.provider.on_refund = settled_by_webhook_first

    view = await h.send(RefundPayment(pid, 2_500))

    assert view.status == "succeeded"
    payment = h.store.payment(pid)
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    # the late answer cannot undo the settlement, but its reference is kept for lookups by the provider's id
    assert payment.refund(view.id).provider_reference == h.provider.refund_reference(view.id)
    assert h.store.events_of(pid)[-4:] == [
        "refund.requested",
        "refund.succeeded",
        "payment.partially_refunded",
        "refund.submitted",
    ]


@pytest.mark.parametrize(("earlier", "asked", "refundable"), [([], 10_001, 10_000), ([6_000], 4_001, 4_000)])
async def test_more_than_remains_refundable_is_refused(earlier: list[int], asked: int, refundable: int) -> None:
    h = harness()
    pid = await paid_payment(h)
    for amount in earlier:
        await h.send(RefundPayment(pid, amount))
    audit_before = len(h.store.audit)

    with pytest.raises(RefundExceedsRefundable) as refused:
        await h.send(RefundPayment(pid, asked))

    assert (refused.value.requested, refused.value.refundable) == (
        Money.of(asked, "USD"),
        Money.of(refundable, "USD"),
    )
    assert len(h.provider.refunds) == len(earlier)
    assert len(h.store.payment(pid).refunds) == len(earlier)
    assert len(h.store.audit) == audit_before


async def test_a_payment_that_has_not_succeeded_is_not_refundable() -> None:
    h = harness()
    result = await h.send(CheckoutOrder("order-1", 10_000, "USD"))

    with pytest.raises(PaymentNotRefundable) as refused:
        await h.send(RefundPayment(result.payment.id, 1_000))

    assert refused.value.status is PaymentStatus.PROCESSING
    assert h.provider.refunds == []
    assert h.store.payment(result.payment.id).refunds == []


async def test_refunding_an_unknown_payment_is_payment_not_found() -> None:
    h = harness()
    with pytest.raises(PaymentNotFound) as missing:
        await h.send(RefundPayment("pay_missing", 1_000))
    assert missing.value.payment_id == "pay_missing"
    assert h.provider.refunds == []
