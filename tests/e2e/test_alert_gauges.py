"""The gauges and the histogram the alert rules (deploy/prometheus/alerts.yml) read, over the real app on SQLite
and Postgres: the build, webhook processing time by outcome, stuck work, the callback backlog, dead webhook
events, what /ready would answer, and the circuits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from importlib.metadata import version

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.db.tables import notifications, payments, webhook_events
from tests.e2e.conftest import LiveServer
from tests.e2e.test_metrics import labels, scrape, series


async def _run(database_url: str, *statements: sa.Executable) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(statement)
    finally:
        await engine.dispose()


def test_the_alert_gauges_and_the_webhook_timing(live_server: LiveServer) -> None:
    s = live_server
    _, before = scrape(s)
    assert series(before, "payments_build_info") == {labels(version=version("payments")): 1}
    assert series(before, "payments_ready") == {(): 1}
    assert set(series(before, "payments_readiness_check").values()) == {1}
    assert series(before, "payments_provider_circuit_open") == {labels(provider="simulator"): 0}
    quiet = {"payments_stuck_payments": 0, "payments_stuck_refunds": 0, "payments_notifications_waiting": 0}
    assert {name: series(before, name)[()] for name in quiet} == quiet
    assert series(before, "payments_notifications_oldest_waiting_seconds") == {(): 0}

    stuck = s.checkout("order-stuck", 5_000).json()["id"]
    paid = s.paid_payment("order-gauges")
    data = {"payment_id": paid["id"], "amount": 5_000, "currency": "USD"}
    s.simulator_webhook("payment.succeeded", data, event_id="evt_gauges_twice")
    s.simulator_webhook("payment.succeeded", data, event_id="evt_gauges_twice")
    forged = s.http.post(
        "/api/v1/webhooks/simulator",
        content=b'{"id": "evt_forged", "type": "payment.succeeded", "created": 1, "data": {}}',
        headers={"Content-Type": "application/json", "Simulator-Signature": "t=1,v1=" + "0" * 64},
    )
    assert forged.status_code == 400
    now = datetime.now(UTC)
    asyncio.run(
        _run(
            s.settings.database_url,
            sa.update(payments).where(payments.c.id == stuck).values(created_at=now - timedelta(hours=2)),
            sa.insert(notifications).values(
                id="ntf_waiting",
                event_id="evt_x",
                event_type="payment.succeeded",
                payment_id=paid["id"],
                url="https://shop.example/cb",
                body=b"{}",
                status="failed",
                attempts=1,
                next_attempt_at=now,
                created_at=now - timedelta(minutes=30),
            ),
            sa.update(webhook_events).where(webhook_events.c.event_id == "evt_gauges_twice").values(status="dead"),
        )
    )

    _, after = scrape(s)
    assert series(after, "payments_stuck_payments") == {(): 1}
    assert series(after, "payments_notifications_waiting") == {(): 1}
    assert 30 * 60 <= series(after, "payments_notifications_oldest_waiting_seconds")[()] < 40 * 60
    assert series(after, "payments_webhook_events_dead") == {(): 1}
    timed = series(after, "payments_webhook_processing_duration_seconds_count")
    assert timed == {
        labels(provider="simulator", outcome="processed"): 1,  # the payment
        labels(provider="simulator", outcome="ignored"): 1,  # the same news under another id: no change
        labels(provider="simulator", outcome="duplicate"): 1,
        labels(provider="simulator", outcome="refused"): 1,
    }
