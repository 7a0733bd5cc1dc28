"""The relay and callback delivery end to end against a real local HTTP receiver, on both stores."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.ports.outbox import OutboxMessage
from application.worker.deliver_notifications import DeliverNotifications
from application.worker.relay_outbox import RelayOutbox
from domain.payments.payment import CheckoutDetails, Payment
from infrastructure.callbacks.http_callback_sender import HttpCallbackSender
from infrastructure.db.notification_store import SqlAlchemyNotificationStore
from infrastructure.db.outbox_store import SqlAlchemyOutbox
from infrastructure.db.read_model import SqlAlchemyPaymentReadModel
from infrastructure.db.tables import notifications as notifications_table
from infrastructure.db.tables import outbox as outbox_table
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from infrastructure.ids import SortableIdGenerator
from infrastructure.providers.signing import verify
from tests.integration.db.builders import T0, new_payment, store
from tests.provider_fakes.server import running
from tests.unit.fakes import FakeClock

SECRET = "whsec_callbacks_" + "1" * 24
THREE_DAYS = 259_200


class Receiver:
    """An order system's callback endpoint: answers `statuses` in turn (the last one from then on)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/__health":
            status = 200
        else:
            self.requests.append(({k.decode(): v.decode() for k, v in scope["headers"]}, body))
            status = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + timedelta(days=1))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def sender(http: httpx.AsyncClient, clock: FakeClock) -> HttpCallbackSender:
    return HttpCallbackSender(http, SECRET, clock, timeout_seconds=5)


@pytest.fixture
def receiver_500_500_500_200() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver(500, 500, 500, 200)
    with running(receiver) as base_url:
        yield receiver, base_url + "/payment-events"


def relay_for(
    engine: AsyncEngine,
    outbox: SqlAlchemyOutbox,
    notifications: SqlAlchemyNotificationStore | None,
    ids: SortableIdGenerator,
    clock: FakeClock,
    **options: Any,
) -> RelayOutbox:
    read_model = SqlAlchemyPaymentReadModel(engine)
    return RelayOutbox(outbox, read_model, ids, clock, "w1", notifications=notifications, **options)


def deliverer(
    notifications: SqlAlchemyNotificationStore,
    sender: HttpCallbackSender,
    ids: SortableIdGenerator,
    clock: FakeClock,
    max_age: int = THREE_DAYS,
) -> DeliverNotifications:
    return DeliverNotifications(
        notifications,
        sender,
        ids,
        clock,
        "w1",
        retry_base_seconds=30,
        retry_max_age_seconds=max_age,
        random=lambda: 1.0,  # the top of the jitter range: a predictable schedule
    )


async def paid(uow: SqlAlchemyUnitOfWork, ids: SortableIdGenerator, callback_url: str | None) -> Payment:
    payment = new_payment(ids, f"order-{ids.new('o')}", details=CheckoutDetails(callback_url=callback_url))
    payment.attach_checkout_session(f"cs_{payment.id}", f"https://pay.example/{payment.id}", None, T0)
    payment.succeed(T0 + timedelta(seconds=1))
    await store(uow, payment)
    return payment


async def test_a_failing_receiver_gets_the_same_signed_body_until_it_answers_2xx(
    engine: AsyncEngine,
    uow: SqlAlchemyUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlAlchemyOutbox,
    notifications: SqlAlchemyNotificationStore,
    sender: HttpCallbackSender,
    clock: FakeClock,
    receiver_500_500_500_200: tuple[Receiver, str],
) -> None:
    receiver, url = receiver_500_500_500_200
    payment = await paid(uow, ids, url)

    relayed = await relay_for(engine, outbox, notifications, ids, clock)()
    assert (relayed.claimed, relayed.relayed, relayed.failed, relayed.notifications) == (3, 3, 0, 1)

    deliver = deliverer(notifications, sender, ids, clock)
    (created,) = (await notifications.list(None, 10, None)).data
    sent_at: list[int] = []
    for attempt in range(1, 5):
        sent_at.append(int(clock.now().timestamp()))
        report = await deliver()
        detail = await notifications.get(created.id)
        assert detail is not None
        if attempt < 4:
            assert (report.claimed, report.failed, detail.notification.status) == (1, 1, "failed")
            # full jitter at its top: base * 2^(attempts-1)
            assert detail.notification.next_attempt_at == clock.now() + timedelta(seconds=30 * 2 ** (attempt - 1))
            assert await deliver() == type(report)()  # not due again yet
        else:
            assert (report.claimed, report.delivered, detail.notification.status) == (1, 1, "delivered")
        clock.advance(hours=7)

    assert len(receiver.requests) == 4
    bodies = {body for _, body in receiver.requests}
    assert bodies == {created.body}  # byte for byte the same every time
    document = json.loads(created.body)
    assert document["id"] == created.id
    assert created.id.startswith("ntf_")
    assert document["type"] == "payment.succeeded"
    assert document["created_at"].endswith("Z")
    data = document["data"]
    assert (data["id"], data["order_id"], data["amount"], data["currency"]) == (
        payment.id,
        payment.order_id,
        10_000,
        "USD",
    )
    assert (data["status"], data["amount_refunded"], data["refunds"], data["failure_reason"]) == (
        "succeeded",
        0,
        [],
        None,
    )
    for (headers, body), timestamp in zip(receiver.requests, sent_at, strict=True):
        assert headers["content-type"] == "application/json"
        assert headers["user-agent"].startswith("payments-callbacks/")
        assert headers["payments-signature"].startswith(f"t={timestamp},v1=")
        verify(headers["payments-signature"], body, [SECRET], now=timestamp, provider="callback")

    detail = await notifications.get(created.id)
    assert detail is not None
    assert [(a.outcome, a.status_code, a.error) for a in detail.attempts] == [
        ("failed", 500, "HTTP 500"),
        ("failed", 500, "HTTP 500"),
        ("failed", 500, "HTTP 500"),
        ("delivered", 200, None),
    ]
    assert all(a.worker == "w1" and a.latency_ms >= 0 for a in detail.attempts)
    assert (detail.notification.attempts, detail.notification.last_status_code) == (4, 200)


async def test_relaying_twice_creates_one_notification_per_event_and_url(
    engine: AsyncEngine,
    uow: SqlAlchemyUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlAlchemyOutbox,
    notifications: SqlAlchemyNotificationStore,
    clock: FakeClock,
) -> None:
    await paid(uow, ids, "https://orders.example/a")
    await paid(uow, ids, None)  # falls back to the configured order callback URL
    relay = relay_for(engine, outbox, notifications, ids, clock, default_callback_url="https://orders.example/b")

    first = await relay()
    async with engine.begin() as connection:  # as if the worker died before marking them relayed
        await connection.execute(sa.update(outbox_table).values(status="pending", claimed_until=None))
    second = await relay()

    assert (first.relayed, first.notifications) == (6, 2)
    assert (second.relayed, second.notifications) == (6, 0)
    page = await notifications.list(None, 10, None)
    assert sorted((n.url, n.event_type) for n in page.data) == [
        ("https://orders.example/a", "payment.succeeded"),
        ("https://orders.example/b", "payment.succeeded"),
    ]


async def test_without_any_callback_url_or_secret_events_are_relayed_without_notifications(
    engine: AsyncEngine,
    uow: SqlAlchemyUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlAlchemyOutbox,
    notifications: SqlAlchemyNotificationStore,
    clock: FakeClock,
) -> None:
    await paid(uow, ids, None)
    await paid(uow, ids, "https://orders.example/a")  # …and callbacks are off: no secret, no store

    no_url = await relay_for(engine, outbox, notifications, ids, clock, batch_size=3)()
    off = await relay_for(engine, outbox, None, ids, clock)()

    assert (no_url.relayed, no_url.notifications, off.relayed, off.notifications) == (3, 0, 3, 0)
    assert (await notifications.list(None, 10, None)).data == ()
    assert await outbox.pending_count() == 0


class FlakyPublisher:
    def __init__(self) -> None:
        self.fail = True
        self.published: list[str] = []

    async def publish(self, message: OutboxMessage) -> None:
        if self.fail:
            raise ConnectionError("broker unreachable")
        self.published.append(message.event_type)

    async def aclose(self) -> None:
        return None


async def test_a_failing_publisher_keeps_messages_pending_with_backoff(
    engine: AsyncEngine,
    uow: SqlAlchemyUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlAlchemyOutbox,
    notifications: SqlAlchemyNotificationStore,
    clock: FakeClock,
) -> None:
    await paid(uow, ids, "https://orders.example/a")
    publisher = FlakyPublisher()
    relay = relay_for(engine, outbox, notifications, ids, clock, publisher=publisher, random=lambda: 1.0)

    failed = await relay()
    assert (failed.claimed, failed.relayed, failed.failed) == (3, 0, 3)
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(outbox_table))).mappings().all()
    assert {(r["status"], r["attempts"], r["last_error"]) for r in rows} == {
        ("pending", 1, "ConnectionError: broker unreachable")
    }
    assert {r["next_attempt_at"] for r in rows} == {clock.now() + timedelta(seconds=30)}
    assert (await relay()).claimed == 0  # not due yet

    publisher.fail = False
    clock.advance(seconds=31)
    recovered = await relay()

    assert (recovered.relayed, recovered.notifications) == (3, 0)  # the notification was made the first time
    assert publisher.published == ["payment.initiated", "payment.checkout_session_created", "payment.succeeded"]
    async with engine.connect() as connection:
        count = (await connection.execute(sa.select(sa.func.count()).select_from(notifications_table))).scalar_one()
    assert count == 1


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/payment-events"  # nothing listens there any more


async def test_an_unreachable_receiver_is_a_failed_attempt_with_the_error(
    engine: AsyncEngine,
    uow: SqlAlchemyUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlAlchemyOutbox,
    notifications: SqlAlchemyNotificationStore,
    sender: HttpCallbackSender,
    clock: FakeClock,
) -> None:
    await paid(uow, ids, closed_port_url())
    await relay_for(engine, outbox, notifications, ids, clock)()

    report = await deliverer(notifications, sender, ids, clock)()

    (notification,) = (await notifications.list(None, 10, None)).data
    detail = await notifications.get(notification.id)
    assert detail is not None
    assert (report.failed, notification.status, notification.last_status_code) == (1, "failed", None)
    assert notification.last_error is not None
    assert "Connect" in notification.last_error
    assert notification.next_attempt_at > clock.now()
    assert [(a.outcome, a.status_code) for a in detail.attempts] == [("failed", None)]


async def test_a_notification_older_than_the_max_age_goes_dead_after_its_next_failure(
    engine: AsyncEngine,
    uow: SqlAlchemyUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlAlchemyOutbox,
    notifications: SqlAlchemyNotificationStore,
    sender: HttpCallbackSender,
    clock: FakeClock,
) -> None:
    await paid(uow, ids, closed_port_url())
    await relay_for(engine, outbox, notifications, ids, clock)()
    deliver = deliverer(notifications, sender, ids, clock, max_age=3600)

    assert (await deliver()).failed == 1
    clock.advance(hours=1)
    report = await deliver()

    assert (report.claimed, report.dead) == (1, 1)
    (notification,) = (await notifications.list(None, 10, None)).data
    assert (notification.status, notification.attempts) == ("dead", 2)
    clock.advance(days=30)
    assert (await deliver()).claimed == 0


async def test_410_gone_stops_delivery_at_once(
    engine: AsyncEngine,
    uow: SqlAlchemyUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlAlchemyOutbox,
    notifications: SqlAlchemyNotificationStore,
    sender: HttpCallbackSender,
    clock: FakeClock,
) -> None:
    receiver = Receiver(410)
    with running(receiver) as base_url:
        await paid(uow, ids, base_url + "/hooks")
        await relay_for(engine, outbox, notifications, ids, clock)()
        report = await deliverer(notifications, sender, ids, clock)()

    (notification,) = (await notifications.list(None, 10, None)).data
    assert (report.dead, notification.status, notification.last_status_code) == (1, "dead", 410)


async def test_redirects_are_not_followed(
    engine: AsyncEngine,
    uow: SqlAlchemyUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlAlchemyOutbox,
    notifications: SqlAlchemyNotificationStore,
    sender: HttpCallbackSender,
    clock: FakeClock,
) -> None:
    receiver = Receiver(307)
    with running(receiver) as base_url:
        await paid(uow, ids, base_url + "/hooks")
        await relay_for(engine, outbox, notifications, ids, clock)()
        report = await deliverer(notifications, sender, ids, clock)()

    (notification,) = (await notifications.list(None, 10, None)).data
    assert (report.failed, notification.status, notification.last_error) == (1, "failed", "HTTP 307")
    assert len(receiver.requests) == 1
