"""The status cache through the real composition root on Postgres: the answer follows every write, in the
process that wrote it at once, and in another API process (its own container, cache and feed) once notified."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from application.bus import MessageBus
from application.commands.checkout_order import CheckoutOrder
from application.queries.get_payment_status import GetPaymentStatus
from infrastructure.container import Container, build_container, close_resources
from infrastructure.db.read.payment_change_feed import PostgresPaymentChangeFeed
from infrastructure.providers.simulator.config import SimulatorConfig
from tests.integration.concurrency.conftest import SECRET, simulator_webhook
from tests.provider_settings import settings_with

pytestmark = pytest.mark.postgres

SETTLE_SECONDS = 5.0


async def started_feed(container: Container) -> PostgresPaymentChangeFeed:
    feed = container.payment_change_feed()
    assert isinstance(feed, PostgresPaymentChangeFeed)  # Postgres and the default settings: the cache is on
    await feed.start()
    await asyncio.wait_for(feed.connected.wait(), SETTLE_SECONDS)
    return feed


@pytest.fixture
async def other_process(postgres: str) -> AsyncIterator[Container]:
    """A second API process: its own container, so its own pool, cache and feed."""
    container = build_container(
        settings_with(database_url=postgres, simulator=SimulatorConfig(webhook_secrets=(SECRET,)))
    )
    await started_feed(container)
    yield container
    await close_resources(container)


async def test_a_webhook_is_seen_by_the_next_status_read_here_and_soon_in_another_process(
    bus: MessageBus, container: Container, other_process: Container
) -> None:
    await started_feed(container)
    other_bus = other_process.bus()
    payment = (await bus.send(CheckoutOrder("order-cache", 5000, "USD"))).payment
    await asyncio.sleep(0.1)  # the checkout's own notifications land
    for reader in (bus, other_bus, bus, other_bus):  # both processes now hold "processing"
        assert (await reader.send(GetPaymentStatus("order-cache"))).status == "processing"

    await bus.send(
        simulator_webhook("payment.succeeded", {"payment_id": payment.id, "amount": 5000, "currency": "USD"})
    )

    assert (await bus.send(GetPaymentStatus("order-cache"))).status == "succeeded"  # at once, in the writer
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while (await other_bus.send(GetPaymentStatus("order-cache"))).status != "succeeded":
        assert asyncio.get_running_loop().time() < deadline, "the other process never saw the webhook"
        await asyncio.sleep(0.01)


async def test_without_the_feed_nothing_is_cached(bus: MessageBus, container: Container) -> None:
    """The worker's container, say: it has a cache but never starts the feed, so reads always go to the store."""
    await bus.send(CheckoutOrder("order-no-feed", 5000, "USD"))
    for _ in range(3):
        assert (await bus.send(GetPaymentStatus("order-no-feed"))).status == "processing"
    cache = container.status_cache()
    assert cache is not None
    assert (cache.live, len(cache)) == (False, 0)
