"""A simulator refund still pending when the service stopped (its settlement webhook never left) is settled by
the next janitor pass, which asks the simulator as it asks a real provider: through the bus, on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from dependency_injector import providers

from application.commands.refund_payment import RefundPayment
from application.queries.get_payment import GetPayment
from application.worker.run_janitor import RunJanitor
from infrastructure.container import Container, build_container, close_resources
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from infrastructure.providers.simulator.adapter import SimulatorPaymentProvider
from infrastructure.providers.simulator.config import SimulatorConfig
from tests.integration.db.builders import T0, paid_payment, store
from tests.provider_settings import settings_with
from tests.unit.fakes import FakeClock

SETTLE_DELAY = 60.0  # seconds: far longer than the test, so only the janitor can settle the refunds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + timedelta(hours=1))


@pytest.fixture
async def container(database_url: str, clock: FakeClock) -> AsyncIterator[Container]:
    settings = settings_with(
        database_url=database_url,
        public_url="http://127.0.0.1:9",  # nothing listens: no settlement webhook could arrive anyway
        simulator=SimulatorConfig(settle_delay_seconds=SETTLE_DELAY),
        db_pool_size=2,
    )
    container = build_container(settings)
    container.clock.override(providers.Object(clock))
    yield container
    await close_resources(container)


async def test_refunds_pending_at_shutdown_are_settled_by_the_janitor(
    container: Container, clock: FakeClock, ids: SortableIdGenerator
) -> None:
    payment = paid_payment(ids, "order-restarted", amount=10_000)
    await store(SqlUnitOfWork(container.database(), ids), payment)
    bus = container.bus()
    kept = await bus.send(RefundPayment(payment.id, 4_000, actor="admin"))
    failing = await bus.send(RefundPayment(payment.id, 1_000, note="simulate:fail", actor="admin"))
    assert (kept.status, failing.status) == ("pending", "pending")
    simulator: SimulatorPaymentProvider = container.simulator()
    await simulator.aclose()  # the shutdown: both settlement webhooks are cancelled before they leave

    clock.advance(minutes=6)  # past the janitor's first look (5 min) and the simulator's settle delay
    report = await bus.send(RunJanitor())

    assert report.errors == ()
    assert sorted((c.refund_id, c.to_status) for c in report.changed) == sorted(
        [(kept.id, "succeeded"), (failing.id, "failed")]
    )
    settled = await bus.send(GetPayment(payment.id))
    assert {r.id: r.status for r in settled.refunds} == {kept.id: "succeeded", failing.id: "failed"}
    assert (settled.status, settled.amount_refunded) == ("partially_refunded", 4_000)
    assert (await bus.send(RunJanitor())).checked_refunds == 0  # nothing pending is left to ask about
