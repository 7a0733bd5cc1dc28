"""The relay and callback delivery end to end against a real local HTTP receiver, on both stores."""

from __future__ import annotations

import functools
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from application.bus import MessageBus
from application.data.notifications import AttemptRecord
from application.data.outbox import OutboxMessage
from application.views import PaymentView
from application.worker.backoff import RetryPolicy
from application.worker.deliver_notifications import DeliverNotifications, DeliveryReport
from application.worker.relay_outbox import RelayOutbox, RelayReport
from application.worker.worker_config import CallbackRouting
from domain.payments.payment import CheckoutDetails, Payment
from infrastructure.callbacks.host_resolver import AsyncioHostResolver
from infrastructure.callbacks.http_callback_sender import HttpCallbackSender
from infrastructure.callbacks.public_address_transport import build_callback_client
from infrastructure.container import Container
from infrastructure.db.read.read_model import SqlPaymentReadModel
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import notifications as notifications_table
from infrastructure.db.tables import outbox as outbox_table
from infrastructure.db.worker.notification_store import SqlNotificationStore
from infrastructure.db.worker.outbox_store import SqlOutbox
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from infrastructure.providers.signing import verify
from infrastructure.settings import Settings
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
    """The callback client as composed (its own socket layer, asyncio_network.py); the receivers are local."""
    async with build_callback_client(AsyncioHostResolver(), allow_private_networks=True) as client:
        yield client


@pytest.fixture
def sender(http: httpx.AsyncClient, clock: FakeClock) -> HttpCallbackSender:
    return HttpCallbackSender(http, SECRET, clock, timeout_seconds=5)


@pytest.fixture
def receiver_500_500_500_200() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver(500, 500, 500, 200)
    with running(receiver) as base_url:
        yield receiver, base_url + "/payment-events"


@dataclass
class Callbacks:
    """The relay and delivery pipeline over one store: pay, relay the outbox, deliver the notifications."""

    engine: AsyncEngine
    uow: SqlUnitOfWork
    ids: SortableIdGenerator
    outbox: SqlOutbox
    notifications: SqlNotificationStore
    sender: HttpCallbackSender
    clock: FakeClock

    async def paid(self, callback_url: str | None, **details: Any) -> Payment:
        ids = self.ids
        checkout = CheckoutDetails(callback_url=callback_url, **details)
        payment = new_payment(ids, f"order-{ids.new('o')}", details=checkout)
        payment.attach_checkout_session(f"cs_{payment.id}", f"https://pay.example/{payment.id}", None, T0)
        payment.succeed(T0 + timedelta(seconds=1))
        await store(self.uow, payment)
        return payment

    def relay(
        self,
        *,
        callbacks_on: bool = True,
        default_callback_url: str | None = None,
        batch_size: int = 100,
        publisher: object | None = None,
        random: Callable[[], float] = lambda: 1.0,
        **adapters: object,
    ) -> Callable[[], Awaitable[RelayReport]]:
        """The worker's relay job through the bus of the composition root; `callbacks_on=False` is what no
        callback secret means; `adapters` replace the root's providers of those names."""
        bus = self._bus(
            callback_routing=CallbackRouting(enabled=callbacks_on, default_url=default_callback_url),
            event_publisher=publisher,
            retry_policy=RetryPolicy(random=random),
            **adapters,
        )
        return functools.partial(bus.send, RelayOutbox("w1", limit=batch_size))

    def deliverer(self, max_age: int = THREE_DAYS, **adapters: object) -> Callable[[], Awaitable[DeliveryReport]]:
        # the top of the jitter range: a predictable schedule
        policy = RetryPolicy(base_seconds=30, max_age_seconds=max_age, random=lambda: 1.0)
        bus = self._bus(retry_policy=policy, **adapters)
        return functools.partial(bus.send, DeliverNotifications("w1"))

    def _bus(self, **adapters: object) -> MessageBus:
        root = Container(settings=Settings())
        for name, adapter in {
            "engine": self.engine,
            "ids": self.ids,
            "clock": self.clock,
            "callback_sender": self.sender,
            **adapters,
        }.items():
            getattr(root, name).override(providers.Object(adapter))
        return root.bus()


@pytest.fixture
def pipe(
    engine: AsyncEngine,
    uow: SqlUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlOutbox,
    notifications: SqlNotificationStore,
    sender: HttpCallbackSender,
    clock: FakeClock,
) -> Callbacks:
    return Callbacks(engine, uow, ids, outbox, notifications, sender, clock)


async def test_the_callback_carries_what_the_checkout_sent_with_the_email_masked(pipe: Callbacks) -> None:
    receiver = Receiver(200)
    with running(receiver) as base_url:
        await pipe.paid(
            base_url + "/payment-events",
            return_url="https://shop.example/paid",
            customer_email="ada.lovelace@example.com",
            customer_name="Ada",
            description="Two books",
            metadata={"cart": "c-9", "shop_order": "abc-123"},
        )
        await pipe.relay()()
        assert (await pipe.deliverer()()).delivered == 1

    [(_, body)] = receiver.requests
    data = json.loads(body)["data"]
    assert data["metadata"] == {"cart": "c-9", "shop_order": "abc-123"}
    assert data["description"] == "Two books"
    assert data["customer"] == {"email": "a***@example.com", "name": "Ada"}
    assert (data["return_url"], data["cancel_url"]) == ("https://shop.example/paid", None)
    assert data["callback_url"] == base_url + "/payment-events"


async def test_a_failing_receiver_gets_the_same_signed_body_until_it_answers_2xx(
    pipe: Callbacks,
    receiver_500_500_500_200: tuple[Receiver, str],
) -> None:
    receiver, url = receiver_500_500_500_200
    payment = await pipe.paid(url)

    relayed = await pipe.relay()()
    assert (relayed.claimed, relayed.relayed, relayed.failed, relayed.notifications) == (3, 3, 0, 1)

    deliver = pipe.deliverer()
    (created,) = (await pipe.notifications.list(None, 10, None)).data
    sent_at: list[int] = []
    for attempt in range(1, 5):
        sent_at.append(int(pipe.clock.now().timestamp()))
        report = await deliver()
        detail = await pipe.notifications.get(created.id)
        assert detail is not None
        if attempt < 4:
            assert (report.claimed, report.failed, detail.notification.status) == (1, 1, "failed")
            # full jitter at its top: base * 2^(attempts-1)
            assert detail.notification.next_attempt_at == pipe.clock.now() + timedelta(seconds=30 * 2 ** (attempt - 1))
            assert await deliver() == type(report)()  # not due again yet
        else:
            assert (report.claimed, report.delivered, detail.notification.status) == (1, 1, "delivered")
        pipe.clock.advance(hours=7)

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

    detail = await pipe.notifications.get(created.id)
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
    pipe: Callbacks,
) -> None:
    await pipe.paid("https://orders.example/a")
    await pipe.paid(None)  # falls back to the configured order callback URL
    relay = pipe.relay(default_callback_url="https://orders.example/b")

    first = await relay()
    async with pipe.engine.begin() as connection:  # as if the worker died before marking them relayed
        await connection.execute(sa.update(outbox_table).values(status="pending", claimed_until=None))
    second = await relay()

    assert (first.relayed, first.notifications) == (6, 2)
    assert (second.relayed, second.notifications) == (6, 0)
    page = await pipe.notifications.list(None, 10, None)
    assert sorted((n.url, n.event_type) for n in page.data) == [
        ("https://orders.example/a", "payment.succeeded"),
        ("https://orders.example/b", "payment.succeeded"),
    ]


async def test_without_any_callback_url_or_secret_events_are_relayed_without_notifications(
    pipe: Callbacks,
) -> None:
    await pipe.paid(None)
    await pipe.paid("https://orders.example/a")  # …and callbacks are off: no secret, no store

    no_url = await pipe.relay(batch_size=3)()
    off = await pipe.relay(callbacks_on=False)()

    assert (no_url.relayed, no_url.notifications, off.relayed, off.notifications) == (3, 0, 3, 0)
    assert (await pipe.notifications.list(None, 10, None)).data == ()
    assert await pipe.outbox.pending_count() == 0


class UnreadablePayments(SqlPaymentReadModel):
    """The store's read model whose batch read fails, as when the database drops the connection under it."""

    async def payments(self, payment_ids: Collection[str]) -> dict[str, PaymentView]:
        raise ConnectionError("connection was closed in the middle of operation")


async def test_a_batch_whose_payments_cannot_be_read_keeps_its_callbacks_pending_and_relays_the_rest(
    pipe: Callbacks,
) -> None:
    await pipe.paid("https://orders.example/a")
    relay = pipe.relay(read_model=UnreadablePayments(Database(pipe.engine)))

    failed = await relay()

    # the succeeded event needs the payment for its callback; the other two are relayed without one
    assert (failed.claimed, failed.relayed, failed.failed, failed.notifications) == (3, 2, 1, 0)
    async with pipe.engine.connect() as connection:
        rows = (await connection.execute(sa.select(outbox_table).order_by(outbox_table.c.created_at))).mappings()
        left = [
            (r["event_type"], r["status"], r["attempts"], r["last_error"]) for r in rows if r["status"] != "relayed"
        ]
    assert left == [
        (
            "payment.succeeded",
            "pending",
            1,
            "LookupError: the batch's payments could not be read: connection was closed in the middle of operation",
        )
    ]
    pipe.clock.advance(seconds=31)
    recovered = await pipe.relay()()
    assert (recovered.relayed, recovered.notifications) == (1, 1)


class UnrecordedAttempts(SqlNotificationStore):
    """The store, whose record of a batch's attempts fails: the worker died, or the database went, after the posts."""

    async def record_attempts(self, records: Sequence[AttemptRecord]) -> None:
        raise ConnectionError("connection was closed in the middle of operation")


async def test_a_batch_whose_attempts_were_not_recorded_is_posted_again_with_the_same_ids_after_its_leases(
    pipe: Callbacks,
) -> None:
    receiver = Receiver(200)
    with running(receiver) as base_url:
        await pipe.paid(base_url + "/payment-events")
        await pipe.relay()()
        with pytest.raises(ConnectionError):
            await pipe.deliverer(notification_store=UnrecordedAttempts(Database(pipe.engine)))()
        (posted,) = (await pipe.notifications.list(None, 10, None)).data
        assert (posted.status, posted.attempts) == ("pending", 0)  # nothing recorded: still leased to w1

        deliver = pipe.deliverer()
        assert (await deliver()).claimed == 0
        pipe.clock.advance(seconds=121)  # the lease (PAYMENTS_WORKER_LEASE_SECONDS, 120) ran out
        assert (await deliver()).delivered == 1

    first, second = (json.loads(body)["id"] for _, body in receiver.requests)
    assert first == second == posted.id  # the receiver dedupes on the id
    detail = await pipe.notifications.get(posted.id)
    assert detail is not None
    assert [(a.outcome, a.status_code) for a in detail.attempts] == [("delivered", 200)]


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
    pipe: Callbacks,
) -> None:
    await pipe.paid("https://orders.example/a")
    publisher = FlakyPublisher()
    relay = pipe.relay(publisher=publisher, random=lambda: 1.0)

    failed = await relay()
    assert (failed.claimed, failed.relayed, failed.failed) == (3, 0, 3)
    async with pipe.engine.connect() as connection:
        rows = (await connection.execute(sa.select(outbox_table))).mappings().all()
    assert {(r["status"], r["attempts"], r["last_error"]) for r in rows} == {
        ("pending", 1, "ConnectionError: broker unreachable")
    }
    assert {r["next_attempt_at"] for r in rows} == {pipe.clock.now() + timedelta(seconds=30)}
    assert (await relay()).claimed == 0  # not due yet

    publisher.fail = False
    pipe.clock.advance(seconds=31)
    recovered = await relay()

    assert (recovered.relayed, recovered.notifications) == (3, 0)  # the notification was made the first time
    assert publisher.published == ["payment.initiated", "payment.checkout_session_created", "payment.succeeded"]
    async with pipe.engine.connect() as connection:
        count = (await connection.execute(sa.select(sa.func.count()).select_from(notifications_table))).scalar_one()
    assert count == 1


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/payment-events"  # nothing listens there any more


async def test_an_unreachable_receiver_is_a_failed_attempt_with_the_error(
    pipe: Callbacks,
) -> None:
    await pipe.paid(closed_port_url())
    await pipe.relay()()

    report = await pipe.deliverer()()

    (notification,) = (await pipe.notifications.list(None, 10, None)).data
    detail = await pipe.notifications.get(notification.id)
    assert detail is not None
    assert (report.failed, notification.status, notification.last_status_code) == (1, "failed", None)
    assert notification.last_error is not None
    assert "Connect" in notification.last_error
    assert notification.next_attempt_at > pipe.clock.now()
    assert [(a.outcome, a.status_code) for a in detail.attempts] == [("failed", None)]


async def test_a_notification_older_than_the_max_age_goes_dead_after_its_next_failure(
    pipe: Callbacks,
) -> None:
    await pipe.paid(closed_port_url())
    await pipe.relay()()
    deliver = pipe.deliverer(max_age=3600)

    assert (await deliver()).failed == 1
    pipe.clock.advance(hours=1)
    report = await deliver()

    assert (report.claimed, report.dead) == (1, 1)
    (notification,) = (await pipe.notifications.list(None, 10, None)).data
    assert (notification.status, notification.attempts) == ("dead", 2)
    pipe.clock.advance(days=30)
    assert (await deliver()).claimed == 0


async def test_410_gone_stops_delivery_at_once(
    pipe: Callbacks,
) -> None:
    receiver = Receiver(410)
    with running(receiver) as base_url:
        await pipe.paid(base_url + "/hooks")
        await pipe.relay()()
        report = await pipe.deliverer()()

    (notification,) = (await pipe.notifications.list(None, 10, None)).data
    assert (report.dead, notification.status, notification.last_status_code) == (1, "dead", 410)


async def test_redirects_are_not_followed(
    pipe: Callbacks,
) -> None:
    receiver = Receiver(307)
    with running(receiver) as base_url:
        await pipe.paid(base_url + "/hooks")
        await pipe.relay()()
        report = await pipe.deliverer()()

    (notification,) = (await pipe.notifications.list(None, 10, None)).data
    assert (report.failed, notification.status, notification.last_error) == (1, "failed", "HTTP 307")
    assert len(receiver.requests) == 1
