"""Events the janitor pulled over a provider's API are retried like delivered ones when applying them fails:
stored `failed`, retried by the worker with the same backoff, vouched for again by the provider (`pulled_event`,
they have no signature), and never dropped."""

from __future__ import annotations

from datetime import timedelta

from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.data.cause import Cause
from application.data.provider_news import EventAction
from application.data.webhook_events import InboxStatus
from application.errors import ProviderUnavailable
from application.worker.retry_failed_webhooks import RetryFailedWebhooks
from application.worker.run_janitor import RunJanitor
from domain.payments.status import PaymentStatus
from tests.unit.fakes import Harness, harness, webhook

A, S = EventAction, PaymentStatus


async def pulled_too_early(h: Harness, event_id: str = "evt_pulled") -> tuple[str, str]:
    """A missed payment.succeeded pulled while its payment is not visible yet: stored `failed` by the janitor."""
    pid = (await h.send(CheckoutOrder(f"order-{event_id}", 10_000, "USD"))).payment.id
    hidden = h.store.payments.pop(pid)
    _, body = webhook(event_id, A.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="USD")
    h.provider.missed = [h.provider.missed_event(body)]
    await h.send(RunJanitor())
    row = h.store.inbox_row("fake", event_id)
    assert row is not None
    assert row.status is InboxStatus.FAILED
    h.store.payments[pid] = hidden
    return pid, row.id


async def test_a_pulled_event_that_failed_is_applied_by_the_worker_retry() -> None:
    h = harness()
    pid, whe = await pulled_too_early(h)

    assert (await h.send(RetryFailedWebhooks("w1"))).claimed == 0  # waits its backoff like any failed event
    h.clock.advance(hours=2)
    report = await h.send(RetryFailedWebhooks("w1"))

    assert (report.claimed, report.processed) == (1, 1)
    assert h.store.inbox[whe].status is InboxStatus.PROCESSED
    assert h.store.payment(pid).status is S.SUCCEEDED
    assert h.provider.refetched == ["evt_pulled"]  # vouched for by the provider's API again, not a signature
    succeeded = [a.cause for a in h.store.audit if a.event == "payment.succeeded"]
    assert succeeded == [Cause("webhook", "fake", "evt_pulled")]


async def test_a_pulled_event_backs_off_like_a_delivered_one_until_it_is_dead() -> None:
    h = harness()
    pulled_pid, pulled = await pulled_too_early(h)
    delivered_pid = (await h.send(CheckoutOrder("order-delivered", 10_000, "USD"))).payment.id
    headers, body = webhook("evt_delivered", A.PAYMENT_SUCCEEDED, delivered_pid, amount=10_000, currency="USD")
    h.store.payments.pop(delivered_pid)
    delivered = (await h.send(HandleProviderWebhook("fake", headers, body))).id
    assert delivered is not None
    h.store.payments.pop(pulled_pid)  # neither payment ever appears
    h.provider.refetch_error = ProviderUnavailable("fake", "down")  # nor can the provider be asked at first

    schedules: dict[str, list[timedelta]] = {pulled: [], delivered: []}
    while any(h.store.inbox[row].status is InboxStatus.FAILED for row in schedules):
        due = min(h.store.inbox[row].next_attempt_at or h.clock.now() for row in schedules)
        h.clock.set(due)
        await h.send(RetryFailedWebhooks("w1"))
        h.provider.refetch_error = None
        for row, gaps in schedules.items():
            if h.store.inbox[row].next_attempt_at is not None:
                gaps.append(h.store.inbox[row].next_attempt_at - h.store.inbox[row].received_at)

    assert [h.store.inbox[row].status for row in schedules] == [InboxStatus.DEAD, InboxStatus.DEAD]
    assert schedules[pulled] == schedules[delivered]  # the same backoff, attempt for attempt
    assert len(schedules[pulled]) > 3


async def test_a_pulled_event_the_provider_no_longer_vouches_for_stays_unapplied() -> None:
    h = harness()
    pid, whe = await pulled_too_early(h)
    h.provider.missed = []  # the provider has no such event (any more): nothing vouches for the stored body
    h.clock.advance(hours=2)

    report = await h.send(RetryFailedWebhooks("w1"))

    assert (report.claimed, report.failed) == (1, 1)
    row = h.store.inbox[whe]
    assert row.status is InboxStatus.FAILED
    assert row.reason is not None
    assert "no longer vouches" in row.reason
    assert h.store.payment(pid).status is S.PROCESSING
