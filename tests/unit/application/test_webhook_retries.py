"""Worker retries and admin replays of stored webhook events: the same verification and state machine."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.commands.replay_webhook_event import ReplayWebhookEvent
from application.data.cause import Cause
from application.data.provider_news import EventAction
from application.data.webhook_events import InboxStatus, WebhookEventFilter
from application.errors import StoreUnavailable, WebhookEventNotFound
from application.queries.get_webhook_event import GetWebhookEvent
from application.queries.list_webhook_events import ListWebhookEvents
from application.worker.retry_failed_webhooks import RetryFailedWebhooks, RetryReport
from domain.payments.status import PaymentStatus
from tests.unit.fakes import FakeWebhookEvents, Harness, harness, webhook

A = EventAction
MAX_AGE = 3 * 86400


def retry_job(h: Harness, worker: str = "w1") -> Callable[[], Awaitable[RetryReport]]:
    """One batch per call, through the bus (the harness's retry policy draws the full jitter: random() = 1)."""
    return functools.partial(h.send, RetryFailedWebhooks(worker))


async def early_event(h: Harness, **fields: object) -> tuple[str, str]:
    """A payment.succeeded that arrives while its payment is not visible yet: stored as failed."""
    pid = (await h.send(CheckoutOrder("order-1", 10_000, "USD"))).payment.id
    hidden = h.store.payments.pop(pid)
    headers, body = webhook("evt_1", A.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="USD", **fields)  # type: ignore[arg-type]
    receipt = await h.send(HandleProviderWebhook("fake", headers, body))
    assert receipt.status == "failed"
    h.store.payments[pid] = hidden
    return pid, receipt.id


async def test_a_failed_event_is_applied_by_the_retry_once_its_payment_exists() -> None:
    h = harness()
    pid, whe = await early_event(h)
    received_at = h.store.inbox[whe].received_at
    job = retry_job(h)

    assert (await job()).claimed == 0  # not due yet: the first retry waits the base delay
    h.clock.advance(hours=2)
    report = await job()

    assert (report.claimed, report.processed) == (1, 1)
    row = h.store.inbox[whe]
    assert (row.status, row.reason, row.claimed_by) == (InboxStatus.PROCESSED, None, None)
    assert h.store.payment(pid).status is PaymentStatus.SUCCEEDED
    succeeded = [a for a in h.store.audit if a.event == "payment.succeeded"]
    assert [a.cause for a in succeeded] == [Cause("webhook", "fake", "evt_1")]
    assert h.provider.parsed_at[-1] == received_at  # verified as of when it was received
    assert (await job()).claimed == 0


async def test_backoff_grows_until_the_event_is_dead() -> None:
    h = harness()
    pid, whe = await early_event(h)
    h.store.payments.pop(pid)  # it never appears
    job = retry_job(h)
    received_at = h.store.inbox[whe].received_at
    delays: list[timedelta] = []
    while h.store.inbox[whe].status is InboxStatus.FAILED:
        due = h.store.inbox[whe].next_attempt_at
        assert due is not None
        h.clock.set(due)
        await job()
        row = h.store.inbox[whe]
        if row.next_attempt_at is not None:
            delays.append(row.next_attempt_at - h.clock.now())

    assert delays[:4] == [timedelta(seconds=s) for s in (60, 120, 240, 480)]
    growing = delays[:-1]  # the last one is cut short by the max age
    assert all(later > earlier for earlier, later in itertools.pairwise(growing))
    row = h.store.inbox[whe]
    assert row.status is InboxStatus.DEAD
    assert row.reason is not None
    assert "gave up" in row.reason
    assert "not found" in row.reason
    assert h.clock.now() - received_at == timedelta(seconds=MAX_AGE)
    assert (await job()).claimed == 0


async def test_a_tampered_stored_event_is_refused_and_stays_failed() -> None:
    h = harness()
    pid, whe = await early_event(h)
    h.store.inbox[whe].headers["x-fake-signature"] = "forged"
    h.clock.advance(hours=1)

    report = await retry_job(h)()

    assert (report.claimed, report.failed) == (1, 1)
    row = h.store.inbox[whe]
    assert row.status is InboxStatus.FAILED
    assert row.reason is not None
    assert "refused" in row.reason
    assert "x-fake-signature" in row.reason
    assert h.store.payment(pid).status is PaymentStatus.PROCESSING


async def test_a_stale_received_event_is_picked_up_and_a_live_lease_is_respected() -> None:
    h = harness()
    pid = (await h.send(CheckoutOrder("order-1", 10_000, "USD"))).payment.id
    # stored and committed, then the store went away before the outcome could be written
    h.provider.confirm_error = StoreUnavailable("gone")
    headers, body = webhook("evt_2", A.PAYMENT_SUCCEEDED, pid, needs_confirmation=True)
    with pytest.raises(StoreUnavailable):
        await h.send(HandleProviderWebhook("fake", headers, body))
    (row,) = h.store.inbox.values()
    assert row.status is InboxStatus.RECEIVED
    h.provider.confirm_error = None

    assert (await retry_job(h)()).claimed == 0  # too fresh: its first handler may still be at work
    h.clock.advance(minutes=6)
    other = FakeWebhookEvents(h.store)  # worker w2's view of the queue, to give its claims back
    row.claimed_by, row.claimed_until = "w2", h.clock.now() + timedelta(minutes=1)
    assert (await retry_job(h)()).claimed == 0  # someone else's live lease
    assert await other.release("w2") == 1

    assert (await retry_job(h)()).processed == 1
    assert h.store.inbox[row.id].status is InboxStatus.PROCESSED
    assert h.store.payment(pid).status is PaymentStatus.SUCCEEDED


async def test_replay_applies_a_failed_event_and_records_the_admin() -> None:
    h = harness()
    pid, whe = await early_event(h)

    replayed = await h.send(ReplayWebhookEvent(whe, actor="ops-alice"))

    assert (replayed.id, replayed.status) == (whe, InboxStatus.PROCESSED)
    assert h.store.payment(pid).status is PaymentStatus.SUCCEEDED
    assert h.store.audit[-1].cause == Cause("admin", "ops-alice", "evt_1")


async def test_replaying_a_processed_event_changes_nothing() -> None:
    h = harness()
    pid, whe = await early_event(h)
    await h.send(ReplayWebhookEvent(whe, actor="ops"))
    audit, outbox, row = list(h.store.audit), list(h.store.outbox), h.store.inbox[whe]
    processed_at = row.processed_at
    h.clock.advance(days=5)  # far beyond any signature tolerance: still verified as of received_at

    replayed = await h.send(ReplayWebhookEvent(whe, actor="ops"))

    assert replayed.status is InboxStatus.PROCESSED
    assert (h.store.audit, h.store.outbox) == (audit, outbox)
    assert (h.store.inbox[whe].reason, h.store.inbox[whe].processed_at) == (None, processed_at)
    assert h.store.payment(pid).status is PaymentStatus.SUCCEEDED


async def test_replaying_a_forgery_never_applies_it() -> None:
    h = harness()
    pid, whe = await early_event(h)
    h.store.inbox[whe].body = h.store.inbox[whe].body.replace(b"10000", b"1")
    h.store.inbox[whe].headers.pop("x-fake-signature")

    replayed = await h.send(ReplayWebhookEvent(whe, actor="ops"))

    assert replayed.status is InboxStatus.FAILED
    assert replayed.reason is not None
    assert "refused" in replayed.reason
    assert h.store.payment(pid).status is PaymentStatus.PROCESSING


async def test_replay_of_an_unknown_event_is_not_found() -> None:
    with pytest.raises(WebhookEventNotFound):
        await harness().send(ReplayWebhookEvent("whe_nope", actor="ops"))


async def test_list_and_get_webhook_events() -> None:
    h = harness()
    _, failed = await early_event(h)
    h.clock.advance(minutes=1)
    headers, body = webhook("evt_9", A.NONE, None)
    headers["Authorization"] = "Bearer secret"
    ignored = (await h.send(HandleProviderWebhook("fake", headers, body))).id

    page = await h.send(ListWebhookEvents(limit=1))
    assert [e.id for e in page.data] == [ignored]
    rest = await h.send(ListWebhookEvents(limit=1, cursor=page.next_cursor))
    assert ([e.id for e in rest.data], rest.next_cursor) == ([failed], None)
    only_failed = await h.send(ListWebhookEvents(WebhookEventFilter(status="failed")))
    assert [e.id for e in only_failed.data] == [failed]
    assert (await h.send(ListWebhookEvents(WebhookEventFilter(provider="other")))).data == ()

    event = await h.send(GetWebhookEvent(ignored))
    assert event.body == body
    assert "authorization" not in event.headers
    assert event.headers["x-fake-signature"] == "ok"
    with pytest.raises(WebhookEventNotFound):
        await h.send(GetWebhookEvent("whe_nope"))
