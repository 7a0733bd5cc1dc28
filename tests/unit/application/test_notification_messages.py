"""The admin notification queries and the retry command, through the bus built by the production code."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.commands.retry_notification import RetryNotification
from application.data.notifications import NewNotification, NotificationStatus
from application.errors import NotificationNotFound
from application.queries.get_notification import GetNotification
from application.queries.list_notifications import ListNotifications
from tests.unit.fake_notifications import FakeNotificationStore
from tests.unit.fakes import (
    T0,
    FakeClock,
    FakeProvider,
    FakeProviders,
    FakeStore,
    fake_root,
)


async def test_list_get_and_retry() -> None:
    store, clock, notifications = FakeStore(), FakeClock(), FakeNotificationStore()
    bus = fake_root(store, FakeProviders(FakeProvider()), clock=clock, notification_store=notifications).bus()
    await notifications.add(
        NewNotification("ntf_1", "evt_1", "payment.succeeded", "pay_1", "https://o.example", b"{}", T0)
    )

    page = await bus.send(ListNotifications(NotificationStatus.PENDING, 500))
    assert [n.id for n in page.data] == ["ntf_1"]
    assert (await bus.send(GetNotification("ntf_1"))).notification.url == "https://o.example"

    clock.advance(hours=1)
    retried = await bus.send(RetryNotification("ntf_1"))
    assert (retried.status, retried.next_attempt_at) == ("pending", T0 + timedelta(hours=1))

    with pytest.raises(NotificationNotFound):
        await bus.send(GetNotification("ntf_missing"))
    with pytest.raises(NotificationNotFound):
        await bus.send(RetryNotification("ntf_missing"))
