"""Webhook body retention on SQLite and Postgres: after PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS the worker's job drops
the raw body and headers of settled events and keeps the row; events still to be retried keep theirs; the admin's
view says the body was purged, and a purged event cannot be replayed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers

from application.commands.replay_webhook_event import ReplayWebhookEvent
from application.data.webhook_events import InboxEntry, InboxStatus
from application.errors import WebhookBodyPurged
from application.queries.get_webhook_event import GetWebhookEvent
from application.worker.purge_webhook_bodies import PurgeWebhookBodies
from infrastructure.container import Container, build_container, close_resources
from tests.integration.db.builders import T0
from tests.provider_settings import settings_with
from tests.unit.fakes import FakeClock

BODY = b'{"id": "evt_1", "data": {"customer": {"email": "ada@example.com", "phone": "+2348012345678"}}}'
HEADERS = {"content-type": "application/json", "x-paystack-signature": "ab" * 64}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def container(database_url: str, clock: FakeClock) -> AsyncIterator[Container]:
    container = build_container(
        settings_with(database_url=database_url, webhook_body_retention_days=30, db_pool_size=2)
    )
    container.clock.override(providers.Object(clock))
    yield container
    await close_resources(container)


async def received(container: Container, clock: FakeClock, number: int, status: InboxStatus) -> str:
    inbox = container.webhook_events()
    entry = InboxEntry(f"whe_{number:04d}", "paystack", f"evt_{number}", "charge.success", HEADERS, BODY, clock.now())
    await inbox.record(entry)
    if status is not InboxStatus.RECEIVED:
        await inbox.mark(entry.id, status, reason=None, payment_id=None, at=clock.now())
    return entry.id


async def test_settled_events_past_retention_lose_body_and_headers_but_keep_their_row(
    container: Container, clock: FakeClock
) -> None:
    bus = container.bus()
    processed = await received(container, clock, 1, InboxStatus.PROCESSED)
    ignored = await received(container, clock, 2, InboxStatus.IGNORED)
    dead = await received(container, clock, 3, InboxStatus.DEAD)
    failed = await received(container, clock, 4, InboxStatus.FAILED)  # still to be retried: needs its body
    clock.advance(days=20)
    recent = await received(container, clock, 5, InboxStatus.PROCESSED)

    clock.advance(days=10, seconds=1)  # the first four are past 30 days, the last is 10 days old
    assert await bus.send(PurgeWebhookBodies()) == 3
    assert await bus.send(PurgeWebhookBodies()) == 0  # nothing left: idempotent

    for entry_id in (processed, ignored, dead):
        stored = await bus.send(GetWebhookEvent(entry_id))
        assert (stored.body, dict(stored.headers), stored.body_purged_at) == (b"", {}, clock.now())
        assert (stored.provider, stored.event_type) == ("paystack", "charge.success")
    assert (await bus.send(GetWebhookEvent(dead))).status is InboxStatus.DEAD
    for entry_id in (failed, recent):
        kept = await bus.send(GetWebhookEvent(entry_id))
        assert (kept.body, kept.body_purged_at) == (BODY, None)

    with pytest.raises(WebhookBodyPurged):
        await bus.send(ReplayWebhookEvent(processed, actor="ops"))


async def test_a_batch_purges_the_oldest_first(container: Container, clock: FakeClock) -> None:
    ids = []
    for number in range(3):
        ids.append(await received(container, clock, number, InboxStatus.PROCESSED))
        clock.advance(minutes=1)
    clock.advance(days=31)

    assert await container.bus().send(PurgeWebhookBodies(limit=2)) == 2

    purged = [(await container.bus().send(GetWebhookEvent(i))).body_purged_at is not None for i in ids]
    assert purged == [True, True, False]
