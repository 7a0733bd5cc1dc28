"""Webhook retries on the real stores (SQLite and Postgres): a failed event is applied once its payment exists,
backs off, dies after the max age, is verified as of when it was received, and is never claimed twice."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.data.webhook_events import InboxStatus
from application.ports.payment_provider import PaymentProvider
from application.worker.backoff import RetryPolicy
from application.worker.retry_failed_webhooks import RetryFailedWebhooks, RetryReport
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.status import PaymentStatus
from domain.shared.money import Money
from infrastructure.container import Container
from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import webhook_events
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.db.write.webhook_events import SqlWebhookEvents
from infrastructure.ids import SortableIdGenerator
from infrastructure.providers.signing import sign
from infrastructure.providers.simulator.adapter import SimulatorPaymentProvider
from infrastructure.settings import Settings
from tests.integration.db.builders import store
from tests.unit.fakes import FakeClock

SECRET = "whsec_retry_" + "0" * 20
T0 = datetime(2025, 3, 4, 5, 0, tzinfo=UTC)


class _Providers:
    def __init__(self, provider: PaymentProvider) -> None:
        self._provider = provider

    def get(self, name: str) -> PaymentProvider:
        return self._provider


class World:
    """The production composition root on the test database, with a fixed clock, the simulator as the only
    provider and the full jitter drawn (random() = 1): max age one hour."""

    def __init__(self, engine: AsyncEngine, http: httpx.AsyncClient) -> None:
        self.engine, self.ids, self.clock = engine, SortableIdGenerator(), FakeClock(T0)
        self.provider = SimulatorPaymentProvider("http://sim.test", (SECRET,), 0.0, http, self.clock)
        self.retries = SqlWebhookEvents(Database(engine))
        root = Container(settings=Settings())
        for name, adapter in {
            "engine": engine,
            "ids": self.ids,
            "clock": self.clock,
            "payment_providers": _Providers(self.provider),
            "retry_policy": RetryPolicy(base_seconds=30, max_age_seconds=3600, random=lambda: 1.0),
        }.items():
            getattr(root, name).override(providers.Object(adapter))
        self.bus = root.bus()

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(Database(self.engine), self.ids)

    def payment(self) -> Payment:
        return Payment.initiate(
            self.ids.new("pay"), "order-1", Money.of(10_000, "USD"), "simulator", CheckoutDetails(), T0
        )

    async def deliver(self, payment_id: str, event_id: str = "evt_1") -> str:
        """A signed simulator payment.succeeded, as received now."""
        now = int(self.clock.now().timestamp())
        data = {"payment_id": payment_id, "amount": 10_000, "currency": "USD"}
        body = json.dumps({"id": event_id, "type": "payment.succeeded", "created": now, "data": data}).encode()
        headers = {"Content-Type": "application/json", "Simulator-Signature": sign(SECRET, body, now)}
        receipt = await self.bus.send(HandleProviderWebhook("simulator", headers, body))
        assert receipt.id is not None
        return receipt.id

    def job(self, worker: str = "w1") -> Callable[[], Awaitable[RetryReport]]:
        return functools.partial(self.bus.send, RetryFailedWebhooks(worker))

    async def row(self, entry_id: str) -> sa.RowMapping:
        async with self.engine.connect() as connection:
            query = sa.select(webhook_events).where(webhook_events.c.id == entry_id)
            return (await connection.execute(query)).mappings().one()


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    engine = create_engine(database_url, pool_size=5)
    async with httpx.AsyncClient() as http:
        yield World(engine, http)
    await engine.dispose()


async def test_a_failed_event_is_applied_once_its_payment_appears(world: World) -> None:
    payment = world.payment()
    world.clock.advance(minutes=1)
    whe = await world.deliver(payment.id)
    assert (await world.row(whe))["status"] == "failed"
    await store(world.uow(), payment)
    world.clock.advance(hours=2)  # the signature's timestamp is far beyond its 300 s tolerance by now

    report = await world.job()()

    assert (report.claimed, report.processed) == (1, 1)
    row = await world.row(whe)
    assert (row["status"], row["reason"], row["claimed_by"], row["next_attempt_at"]) == ("processed", None, None, None)
    async with world.uow() as uow:
        assert (await uow.payments.get(payment.id)).status is PaymentStatus.SUCCEEDED
    async with world.engine.connect() as connection:
        audit = (
            await connection.execute(
                sa.text("SELECT source, provider_event_id FROM payment_events WHERE type = 'payment.succeeded'")
            )
        ).all()
    assert [tuple(a) for a in audit] == [("webhook", "evt_1")]
    assert (await world.job()()).claimed == 0


async def test_backoff_grows_then_the_event_is_dead(world: World) -> None:
    whe = await world.deliver("pay_never_there")
    job = world.job()
    delays: list[timedelta] = []
    while (row := await world.row(whe))["status"] == "failed":
        world.clock.set(row["next_attempt_at"])
        await job()
        after = await world.row(whe)
        if after["next_attempt_at"] is not None and after["status"] == "failed":
            delays.append(after["next_attempt_at"] - world.clock.now())
        assert after["attempts"] == row["attempts"] + 1 or after["status"] == "dead"

    assert delays[:5] == [timedelta(seconds=s) for s in (60, 120, 240, 480, 960)]
    row = await world.row(whe)
    assert row["status"] == InboxStatus.DEAD.value
    assert row["reason"].startswith("gave up")
    assert "not found" in row["reason"]
    assert world.clock.now() - T0 == timedelta(hours=1)
    assert (row["claimed_by"], row["next_attempt_at"]) == (None, None)


async def test_a_tampered_stored_body_is_refused_and_stays_failed(world: World) -> None:
    payment = world.payment()
    whe = await world.deliver(payment.id)
    await store(world.uow(), payment)
    body = (await world.row(whe))["body"]
    async with world.engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE webhook_events SET body = :body WHERE id = :id"),
            {"body": bytes(body).replace(b"10000", b"1"), "id": whe},
        )
    world.clock.advance(minutes=10)

    report = await world.job()()

    assert (report.claimed, report.failed) == (1, 1)
    row = await world.row(whe)
    assert row["status"] == "failed"
    assert "refused" in row["reason"]
    assert "no v1 signature matches" in row["reason"]
    async with world.uow() as uow:
        assert (await uow.payments.get(payment.id)).status is PaymentStatus.PROCESSING


async def test_concurrent_claimers_never_share_a_row(postgres: str) -> None:
    engine = create_engine(postgres, pool_size=10)
    try:
        async with httpx.AsyncClient() as http:
            world = World(engine, http)
            for n in range(30):
                await world.deliver(f"pay_missing_{n}", event_id=f"evt_{n}")
            now = T0 + timedelta(hours=1)
            stores = [SqlWebhookEvents(Database(engine)) for _ in range(4)]
            claims = await asyncio.gather(
                *(
                    s.claim_due(f"w{i}", now, lease=timedelta(minutes=2), stale_before=now, limit=10)
                    for i, s in enumerate(stores)
                )
            )
        ids = [row.id for claim in claims for row in claim]
        assert len(ids) == len(set(ids)) == 30
        again = await stores[0].claim_due("w9", now, lease=timedelta(minutes=2), stale_before=now, limit=50)
        assert again == []  # all under live leases
        assert await stores[1].release("w1") == len(claims[1])
    finally:
        await engine.dispose()
