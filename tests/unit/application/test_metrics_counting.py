"""What the handlers count through the Metrics port, driven through the bus with fakes (FakeMetrics records)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.commands.refund_payment import RefundPayment
from application.data.callbacks import DeliveryResult
from application.data.notifications import AttemptRecord, Notification, NotificationStatus
from application.data.provider_news import EventAction
from application.errors import InvalidSignature, ProviderError, ProviderUnavailable, StoreUnavailable
from application.worker.deliver_notifications import DeliverNotifications
from domain.payments.errors import CheckoutConflict, RefundExceedsRefundable
from tests.unit.fakes import T0, Harness, harness, webhook


async def paid(h: Harness, order_id: str = "order-1", amount: int = 10_000) -> str:
    payment_id = (await h.send(CheckoutOrder(order_id, amount, "USD"))).payment.id
    headers, body = webhook(f"evt_paid_{order_id}", EventAction.PAYMENT_SUCCEEDED, payment_id)
    await h.send(HandleProviderWebhook("fake", headers, body))
    return payment_id


async def test_checkouts_are_counted_by_outcome() -> None:
    h = harness()
    await h.send(CheckoutOrder("order-1", 5_000, "USD"))
    await h.send(CheckoutOrder("order-1", 5_000, "USD"))  # the same checkout again: handed back
    with pytest.raises(CheckoutConflict):
        await h.send(CheckoutOrder("order-1", 7_000, "USD"))  # a live payment for other money
    h.provider.checkout_error = ProviderError("fake", "declined")
    with pytest.raises(ProviderError):
        await h.send(CheckoutOrder("order-2", 5_000, "USD"))
    h.provider.checkout_error = ProviderUnavailable("fake", "timed out")
    with pytest.raises(ProviderUnavailable):
        await h.send(CheckoutOrder("order-3", 5_000, "USD"))

    assert h.metrics.of("checkout") == {
        ("fake", "created"): 1,
        ("fake", "reused"): 1,
        ("fake", "rejected"): 1,
        ("fake", "refused"): 1,
        ("fake", "unavailable"): 1,
    }


async def test_webhooks_are_counted_by_outcome() -> None:
    h = harness()
    payment_id = (await h.send(CheckoutOrder("order-1", 5_000, "USD"))).payment.id
    headers, body = webhook("evt_1", EventAction.PAYMENT_SUCCEEDED, payment_id)
    await h.send(HandleProviderWebhook("fake", headers, body))
    await h.send(HandleProviderWebhook("fake", headers, body))  # the same event again
    headers, body = webhook("evt_2", EventAction.PAYMENT_SUCCEEDED, payment_id)
    await h.send(HandleProviderWebhook("fake", headers, body))  # no change: ignored
    headers, body = webhook("evt_3", EventAction.PAYMENT_SUCCEEDED, "pay_unknown")
    await h.send(HandleProviderWebhook("fake", headers, body))  # unknown payment: failed, retried later
    headers, body = webhook("evt_4", EventAction.PAYMENT_SUCCEEDED, payment_id, signature="forged")
    with pytest.raises(InvalidSignature):
        await h.send(HandleProviderWebhook("fake", headers, body))

    assert h.metrics.of("webhook_event") == {
        ("fake", "processed"): 1,
        ("fake", "duplicate"): 1,
        ("fake", "ignored"): 1,
        ("fake", "failed"): 1,
        ("fake", "invalid_signature"): 1,
    }


async def test_status_changes_are_counted_once_committed() -> None:
    h = harness()
    payment_id = await paid(h)
    view = await h.send(RefundPayment(payment_id, 4_000))
    headers, body = webhook("evt_refund_ok", EventAction.REFUND_SUCCEEDED, payment_id, refund_id=view.id)
    await h.send(HandleProviderWebhook("fake", headers, body))

    # creation is not a change of status, nor are the refund events that leave the status as it was
    assert h.metrics.of("status_transition") == {
        ("processing", "succeeded"): 1,
        ("succeeded", "partially_refunded"): 1,
    }


async def test_a_change_whose_commit_fails_is_not_counted() -> None:
    h = harness()
    payment_id = (await h.send(CheckoutOrder("order-1", 5_000, "USD"))).payment.id
    h.store.fail_next("commit", StoreUnavailable("connection lost"))
    headers, body = webhook("evt_1", EventAction.PAYMENT_FAILED, payment_id)
    with pytest.raises(StoreUnavailable):
        await h.send(HandleProviderWebhook("fake", headers, body))

    assert h.metrics.of("status_transition") == {}
    assert h.metrics.of("webhook_event") == {}  # not acknowledged: the provider sends it again


async def test_refunds_are_counted_by_outcome() -> None:
    h = harness()
    payment_id = await paid(h)
    await h.send(RefundPayment(payment_id, 1_000))
    with pytest.raises(RefundExceedsRefundable):
        await h.send(RefundPayment(payment_id, 1_000_000))
    h.provider.refund_error = ProviderUnavailable("fake", "timed out")
    await h.send(RefundPayment(payment_id, 1_000))
    h.provider.refund_error = ProviderError("fake", "insufficient balance")
    with pytest.raises(ProviderError):
        await h.send(RefundPayment(payment_id, 1_000))

    assert h.metrics.of("refund") == {
        ("fake", "pending"): 1,
        ("fake", "rejected"): 1,
        ("fake", "unavailable"): 1,
        ("fake", "refused"): 1,
    }


class _Due:
    """A notification store with given notifications due; remembers what was recorded."""

    def __init__(self, *due: Notification) -> None:
        self.due, self.recorded = list(due), list[NotificationStatus]()

    async def claim(self, worker: str, now: object, lease: object, limit: int) -> list[Notification]:
        due, self.due = self.due, []
        return due

    async def record_attempts(self, records: Sequence[AttemptRecord]) -> None:
        self.recorded.extend(record.status for record in records)


class _Receiver:
    """Answers by URL: `/ok` 200, `/gone` 410, anything else 500."""

    async def post(self, url: str, body: bytes) -> DeliveryResult:
        status = {"/ok": 200, "/gone": 410}.get(url, 500)
        return DeliveryResult(status, 3, None if status == 200 else f"HTTP {status}")


def _notification(number: int, url: str) -> Notification:
    return Notification(
        f"ntf_{number}", f"evt_{number}", "payment.succeeded", "pay_1", url, b"{}", NotificationStatus.PENDING, 0,
        T0, T0,
    )  # fmt: skip


async def test_notification_attempts_are_counted_by_what_became_of_them() -> None:
    store = _Due(_notification(1, "/ok"), _notification(2, "/ok"), _notification(3, "/gone"), _notification(4, "/x"))
    h = harness(notification_store=store, callback_sender=_Receiver())
    h.clock.set(T0 + timedelta(minutes=1))
    await h.send(DeliverNotifications("w1"))

    assert h.metrics.of("notification") == {("delivered",): 2, ("dead",): 1, ("failed",): 1}
    assert sorted(store.recorded) == sorted(
        [NotificationStatus.DELIVERED, NotificationStatus.DELIVERED, NotificationStatus.DEAD, NotificationStatus.FAILED]
    )
