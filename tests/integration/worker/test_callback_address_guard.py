"""Delivery-time check of where a callback goes (PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS=false), on both stores.

The URL was accepted at checkout (or its name resolved elsewhere then: DNS rebinding); the callback client
checks the address it connects to. The receivers here listen on 127.0.0.1, so a delivery that got through
would show up in their request log.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.worker.deliver_notifications import DeliverNotifications
from infrastructure.callbacks.callback_transport import CallbackTransport
from infrastructure.callbacks.http_callback_sender import HttpCallbackSender
from infrastructure.callbacks.public_address_transport import PublicAddressBackend, build_callback_client
from infrastructure.container import build_container, close_resources
from infrastructure.db.worker.notification_store import SqlNotificationStore
from infrastructure.db.worker.outbox_store import SqlOutbox
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from infrastructure.settings import Settings
from tests.integration.db.builders import T0
from tests.integration.worker.test_callbacks import SECRET, Callbacks, Receiver
from tests.provider_fakes.server import running
from tests.unit.fakes import FakeClock, FakeResolver

# what the names resolve to now, at delivery time
DNS = FakeResolver({"rebind.example": ("127.0.0.1",), "two.example": ("93.184.216.34", "10.0.0.5")})


@pytest.fixture
async def guarded() -> AsyncIterator[httpx.AsyncClient]:
    async with build_callback_client(DNS, allow_private_networks=False) as client:
        yield client


@pytest.fixture
def pipe(
    engine: AsyncEngine,
    uow: SqlUnitOfWork,
    ids: SortableIdGenerator,
    outbox: SqlOutbox,
    notifications: SqlNotificationStore,
    guarded: httpx.AsyncClient,
) -> Callbacks:
    clock = FakeClock(T0 + timedelta(days=1))
    sender = HttpCallbackSender(guarded, SECRET, clock, timeout_seconds=5)
    return Callbacks(engine, uow, ids, outbox, notifications, sender, clock)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there any more


@pytest.mark.parametrize("host", ["127.0.0.1", "0x7f.1", "2130706433", "[::ffff:127.0.0.1]", "rebind.example"])
@pytest.mark.parametrize("listening", [True, False], ids=["open port", "closed port"])
async def test_a_private_address_is_refused_at_connect_time_and_the_notification_is_dead_at_once(
    pipe: Callbacks, host: str, listening: bool
) -> None:
    receiver = Receiver(200)
    with running(receiver) as base_url:
        port = int(base_url.rsplit(":", 1)[1]) if listening else closed_port()
        await pipe.paid(f"http://{host}:{port}/payment-events")
        await pipe.relay()()
        report = await pipe.deliverer()()

    (notification,) = (await pipe.notifications.list(None, 10, None)).data
    detail = await pipe.notifications.get(notification.id)
    assert detail is not None
    assert (report.claimed, report.dead, notification.status, notification.attempts) == (1, 1, "dead", 1)
    # the same words whether something listens or not: the notifications API is no port scanner
    reason = "refused: callback address 127.0.0.1 is not public (loopback)"
    if host.startswith("["):
        reason = "refused: callback address ::ffff:7f00:1 is not public (loopback: it carries 127.0.0.1)"
    assert [(a.outcome, a.status_code, a.error) for a in detail.attempts] == [("failed", None, reason)]
    assert (notification.last_status_code, notification.last_error) == (None, reason)
    assert receiver.requests == []  # nothing was sent
    pipe.clock.advance(days=4)
    assert (await pipe.deliverer()()).claimed == 0  # and it is never tried again


async def test_a_name_with_one_private_address_among_public_ones_is_refused(pipe: Callbacks) -> None:
    await pipe.paid("https://two.example/payment-events")
    await pipe.relay()()

    report = await pipe.deliverer()()

    (notification,) = (await pipe.notifications.list(None, 10, None)).data
    assert (report.dead, notification.status) == (1, "dead")
    assert notification.last_error == "refused: callback address 10.0.0.5 is not public (private)"


async def test_the_workers_delivery_as_composed_refuses_a_private_address(database_url: str, pipe: Callbacks) -> None:
    """The worker's job from the composition root, with the setting false: the container's callback client."""
    receiver = Receiver(200)
    settings = Settings(database_url=database_url, callback_secret=SECRET, callback_allow_private_networks=False)
    container = build_container(settings)
    try:
        deliver = functools.partial(container.bus().send, DeliverNotifications("worker-1"))
        with running(receiver) as base_url:
            await pipe.paid(base_url + "/payment-events")
            await pipe.relay()()
            report = await deliver()
    finally:
        await close_resources(container)

    (notification,) = (await pipe.notifications.list(None, 10, None)).data
    assert (report.dead, notification.status, notification.attempts) == (1, "dead", 1)
    assert notification.last_error == "refused: callback address 127.0.0.1 is not public (loopback)"
    assert receiver.requests == []


async def test_the_transport_connects_to_the_address_it_checked_and_keeps_the_host_name() -> None:
    """With a rule that lets loopback pass (the test's receiver is on it): the name is resolved by the
    transport itself and the request still names its host; a name that does not resolve is an ordinary
    failed attempt, retried later, not a refusal."""
    resolver = FakeResolver({"orders.example": ("127.0.0.1",)})
    transport = CallbackTransport(PublicAddressBackend(resolver, refusal=lambda address: None))
    receiver = Receiver(204)
    async with httpx.AsyncClient(transport=transport) as client:
        sender = HttpCallbackSender(client, SECRET, FakeClock(T0), timeout_seconds=5)
        with running(receiver) as base_url:
            port = base_url.rsplit(":", 1)[1]
            delivered = await sender.post(f"http://orders.example:{port}/hooks", b"{}")
            unknown = await sender.post(f"http://unknown.example:{port}/hooks", b"{}")

    assert (delivered.delivered, delivered.refused) == (True, False)
    ((headers, body),) = receiver.requests
    assert (headers["host"], body) == (f"orders.example:{port}", b"{}")
    assert (unknown.delivered, unknown.refused, unknown.status_code) == (False, False, None)
    assert unknown.error == "ConnectError: unknown.example does not resolve"
    assert resolver.asked == ["orders.example", "unknown.example"]
