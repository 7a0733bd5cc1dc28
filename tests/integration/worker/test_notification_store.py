"""Notifications and their attempts on both stores: idempotent add, leases, attempts, listing, retry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.data.notifications import AttemptRecord, NewNotification, NotificationAttempt, NotificationStatus
from application.errors import InvalidCursor, NotificationNotFound
from infrastructure.db.worker.notification_store import SqlNotificationStore
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0

LEASE = timedelta(seconds=60)
URL = "https://orders.example/payment-events"


def new(ids: SortableIdGenerator, *, event_id: str | None = None, url: str = URL, at: object = T0) -> NewNotification:
    notification_id = ids.new("ntf")
    return NewNotification(
        id=notification_id,
        event_id=event_id or ids.new("evt"),
        event_type="payment.succeeded",
        payment_id="pay_1",
        url=url,
        body=b'{"id":"' + notification_id.encode() + b'"}',
        created_at=at,  # type: ignore[arg-type]
    )


def attempt(
    ids: SortableIdGenerator, notification_id: str, status_code: int | None, *, at: object = T0
) -> NotificationAttempt:
    delivered = status_code is not None and 200 <= status_code < 300
    return NotificationAttempt(
        id=ids.new("nta"),
        notification_id=notification_id,
        at=at,  # type: ignore[arg-type]
        outcome="delivered" if delivered else "failed",
        status_code=status_code,
        latency_ms=12,
        error=None if delivered else f"HTTP {status_code}",
        worker="w1",
    )


async def test_add_is_idempotent_per_event_and_url(
    notifications: SqlNotificationStore, ids: SortableIdGenerator
) -> None:
    first = new(ids, event_id="evt_1")
    assert await notifications.add(first) is True
    assert await notifications.add(new(ids, event_id="evt_1")) is False  # same event and URL: the first stays
    assert await notifications.add(new(ids, event_id="evt_1", url="https://other.example/hook")) is True

    page = await notifications.list(None, 10, None)

    assert len(page.data) == 2
    stored = {n.url: n for n in page.data}[URL]
    assert (stored.id, stored.body, stored.status, stored.attempts) == (first.id, first.body, "pending", 0)


async def test_claim_leases_due_notifications(notifications: SqlNotificationStore, ids: SortableIdGenerator) -> None:
    await notifications.add(new(ids))
    await notifications.add(new(ids, at=T0 + timedelta(hours=1)))  # not due until then

    claimed = await notifications.claim("w1", T0, LEASE, 10)

    assert len(claimed) == 1
    assert await notifications.claim("w2", T0, LEASE, 10) == []  # leased
    expired = await notifications.claim("w2", T0 + LEASE * 2, LEASE, 10)  # w1's lease ran out
    assert [n.id for n in expired] == [claimed[0].id]
    await notifications.release("w2")
    assert len(await notifications.claim("w3", T0 + timedelta(hours=2), LEASE, 10)) == 2


async def test_a_failed_attempt_schedules_the_next_and_delivery_ends_it(
    notifications: SqlNotificationStore, ids: SortableIdGenerator
) -> None:
    added = new(ids)
    await notifications.add(added)
    await notifications.claim("w1", T0, LEASE, 10)

    await notifications.record_attempts(
        [AttemptRecord(attempt(ids, added.id, 503), NotificationStatus.FAILED, T0 + timedelta(minutes=1))]
    )

    assert await notifications.claim("w1", T0 + timedelta(seconds=30), LEASE, 10) == []  # lease gone, not due
    (again,) = await notifications.claim("w2", T0 + timedelta(minutes=1), LEASE, 10)
    assert (again.status, again.attempts, again.last_status_code, again.last_error) == ("failed", 1, 503, "HTTP 503")

    later = T0 + timedelta(minutes=2)
    await notifications.record_attempts(
        [AttemptRecord(attempt(ids, added.id, 204, at=later), NotificationStatus.DELIVERED, None)]
    )

    detail = await notifications.get(added.id)
    assert detail is not None
    assert detail.notification.status == "delivered"
    assert detail.notification.delivered_at == later
    assert detail.notification.attempts == 2
    assert [(a.outcome, a.status_code, a.worker) for a in detail.attempts] == [
        ("failed", 503, "w1"),
        ("delivered", 204, "w1"),
    ]
    assert await notifications.claim("w3", T0 + timedelta(days=1), LEASE, 10) == []


async def test_a_batch_of_attempts_moves_each_notification_its_own_way_at_once(
    notifications: SqlNotificationStore, ids: SortableIdGenerator
) -> None:
    delivered, retried, dead, untouched = (new(ids) for _ in range(4))
    for added in (delivered, retried, dead, untouched):
        await notifications.add(added)
    await notifications.claim("w1", T0, LEASE, 10)
    later = T0 + timedelta(seconds=5)

    await notifications.record_attempts(
        [
            AttemptRecord(attempt(ids, delivered.id, 200, at=later), NotificationStatus.DELIVERED, None),
            AttemptRecord(
                attempt(ids, retried.id, 503, at=later), NotificationStatus.FAILED, T0 + timedelta(minutes=1)
            ),
            AttemptRecord(attempt(ids, dead.id, 410, at=later), NotificationStatus.DEAD, None),
        ]
    )
    await notifications.record_attempts([])  # a batch with nothing to record writes nothing

    details = {n.id: await notifications.get(n.id) for n in (delivered, retried, dead, untouched)}
    seen = {
        key: (d.notification.status, d.notification.attempts, d.notification.last_status_code, len(d.attempts))
        for key, d in details.items()
        if d is not None
    }
    assert seen == {
        delivered.id: ("delivered", 1, 200, 1),
        retried.id: ("failed", 1, 503, 1),
        dead.id: ("dead", 1, 410, 1),
        untouched.id: ("pending", 0, None, 0),  # claimed with the others, not attempted: still leased to w1
    }
    delivered_detail, retried_detail = details[delivered.id], details[retried.id]
    assert delivered_detail is not None
    assert retried_detail is not None
    assert delivered_detail.notification.delivered_at == later
    assert retried_detail.notification.delivered_at is None
    assert retried_detail.notification.next_attempt_at == T0 + timedelta(minutes=1)
    # the leases of the recorded ones are released: only the retried one comes back, when due
    (again,) = await notifications.claim("w2", T0 + timedelta(minutes=1), LEASE, 10)
    assert again.id == retried.id


async def test_dead_notifications_are_not_claimed(
    notifications: SqlNotificationStore, ids: SortableIdGenerator
) -> None:
    added = new(ids)
    await notifications.add(added)
    await notifications.record_attempts([AttemptRecord(attempt(ids, added.id, None), NotificationStatus.DEAD, None)])

    assert await notifications.claim("w1", T0 + timedelta(days=10), LEASE, 10) == []
    assert [n.id for n in (await notifications.list(NotificationStatus.DEAD, 10, None)).data] == [added.id]


async def test_list_is_newest_first_with_keyset_pages(
    notifications: SqlNotificationStore, ids: SortableIdGenerator
) -> None:
    added = [new(ids, at=T0 + timedelta(seconds=i)) for i in range(5)]
    for n in added:
        await notifications.add(n)

    first = await notifications.list(None, 2, None)
    second = await notifications.list(None, 2, first.next_cursor)
    third = await notifications.list(None, 2, second.next_cursor)

    seen = [n.id for page in (first, second, third) for n in page.data]
    assert seen == [n.id for n in reversed(added)]
    assert third.next_cursor is None
    assert (await notifications.list(NotificationStatus.DELIVERED, 10, None)).data == ()
    with pytest.raises(InvalidCursor):
        await notifications.list(None, 2, "not-a-cursor")


async def test_retry_puts_it_back_due_now(notifications: SqlNotificationStore, ids: SortableIdGenerator) -> None:
    added = new(ids)
    await notifications.add(added)
    await notifications.record_attempts([AttemptRecord(attempt(ids, added.id, 410), NotificationStatus.DEAD, None)])
    now = T0 + timedelta(days=5)

    retried = await notifications.retry(added.id, now)

    assert (retried.status, retried.next_attempt_at, retried.attempts) == ("pending", now, 1)
    assert [n.id for n in await notifications.claim("w1", now, LEASE, 10)] == [added.id]
    with pytest.raises(NotificationNotFound):
        await notifications.retry("ntf_missing", now)
    assert await notifications.get("ntf_missing") is None
