"""No event is lost when receivers fail or workers die: proved with real worker processes on Postgres."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from infrastructure.providers.signing import verify
from tests.e2e.conftest import LiveServer
from tests.faults.conftest import CALLBACK_SECRET, Receiver, Workers, eventually

pytestmark = pytest.mark.postgres


def paid(api: LiveServer, order_id: str) -> str:
    payment_id: str = api.paid_payment(order_id, 4_200)["id"]
    return payment_id


def notification(api: LiveServer, payment_id: str) -> dict[str, object]:
    listed = api.get("/api/v1/notifications", key="admin").json()["data"]
    return next(n for n in listed if n["payment_id"] == payment_id and n["event_type"] == "payment.succeeded")


def test_a_receiver_that_fails_three_times_then_succeeds_gets_the_same_event_each_time(
    api: LiveServer, receiver: tuple[Receiver, str], workers: Workers
) -> None:
    app, _ = receiver
    app.fail_first = 3
    workers.start("w1")

    payment_id = paid(api, "order-flaky-receiver")

    eventually(lambda: any(answer == 200 for _, _, answer in app.requests), what="a delivered callback")
    succeeded = [(h, b, a) for h, b, a in app.requests if b"payment.succeeded" in b]
    assert [answer for _, _, answer in succeeded] == [500, 500, 500, 200]
    assert len({body for _, body, _ in succeeded}) == 1  # the same bytes, hence the same `id`, every time
    for headers, body, _ in succeeded:  # every attempt is signed afresh, and verifies
        verify(headers["payments-signature"], body, [CALLBACK_SECRET], now=int(time.time()), provider="callback")
    event = app.bodies()[0]
    assert (event["type"], event["data"]["id"], event["data"]["status"]) == (
        "payment.succeeded",
        payment_id,
        "succeeded",
    )
    assert event["id"].startswith("ntf_")
    eventually(lambda: notification(api, payment_id)["status"] == "delivered", what="the delivered status")


def test_a_worker_killed_in_the_middle_of_a_delivery_is_replaced_and_the_event_arrives(
    api: LiveServer, receiver: tuple[Receiver, str], workers: Workers, postgres: str
) -> None:
    """SIGKILL while the order system holds the request open: the notification stays claimed until its lease
    (3 s here, PAYMENTS_WORKER_LEASE_SECONDS) ends, then another worker delivers the same stored body: the same
    notification id, a valid signature, so the order system dedupes it on `id`."""
    app, _ = receiver
    app.hang_first = 1  # the first delivery never gets an answer: its worker dies waiting
    workers.start("doomed")
    payment_id = paid(api, "order-killed-worker")
    eventually(lambda: len(app.requests) == 1, what="the first worker's delivery to start")

    workers.kill("doomed")  # SIGKILL: no lease given back, no attempt recorded
    claimed_by, claimed_until = asyncio.run(_claim(postgres, payment_id))
    assert claimed_by == "doomed"
    workers.start("survivor")

    eventually(lambda: any(answer == 200 for _, _, answer in app.requests), what="the survivor's delivery")
    assert app.arrived_at[1] >= claimed_until.timestamp()  # not before the dead worker's lease ran out
    succeeded = [(headers, body) for headers, body, _ in app.requests if b"payment.succeeded" in body]
    assert len(succeeded) == 2
    assert succeeded[0][1] == succeeded[1][1]  # the same bytes, hence the same `id`
    for headers, body in succeeded:  # each signed afresh, and each verifies
        verify(headers["payments-signature"], body, [CALLBACK_SECRET], now=int(time.time()), provider="callback")
    acted_on: dict[str, dict[str, Any]] = {}  # what an order system does: act on each `id` once
    for event in app.bodies():
        acted_on.setdefault(event["id"], event)
    assert len(app.bodies()) == 2
    (event,) = acted_on.values()
    assert event["type"] == "payment.succeeded"
    assert event["id"] == notification(api, payment_id)["id"]
    assert event["data"]["id"] == payment_id
    eventually(lambda: notification(api, payment_id)["status"] == "delivered", what="the delivered status")


async def _claim(database_url: str, payment_id: str) -> tuple[str, datetime]:
    """Who holds the payment's `payment.succeeded` notification, and until when."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        row = await connection.fetchrow(
            "SELECT claimed_by, claimed_until FROM notifications WHERE payment_id = $1 AND event_type = $2",
            payment_id,
            "payment.succeeded",
        )
    finally:
        await connection.close()
    assert row is not None
    until: datetime = row["claimed_until"]
    return row["claimed_by"], until if until.tzinfo else until.replace(tzinfo=UTC)
