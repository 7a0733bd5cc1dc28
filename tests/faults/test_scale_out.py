"""Two API processes and two workers on one Postgres, 200 webhooks with 4 duplicates each sent concurrently
across both APIs: every payment transitions once, every notification is delivered, none twice."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from infrastructure.providers.signing import sign
from tests.api_processes import api_processes
from tests.faults.conftest import CALLBACK_SECRET, Receiver, Workers, eventually

pytestmark = pytest.mark.postgres

PAYMENTS = 200
COPIES = 5  # the delivery and 4 duplicates
SIM_SECRET = "whsec_sim_scale_out_" + "2" * 16
ADMIN_KEY = "pk_scale_out_admin_" + "3" * 24


@pytest.fixture
def two_apis(postgres: str, receiver: tuple[Receiver, str]) -> Iterator[list[str]]:
    """Two `payments serve` processes without in-process loops: the workers are separate processes."""
    env = {
        **os.environ,
        "PAYMENTS_DATABASE_URL": postgres,
        "PAYMENTS_API_KEYS": json.dumps([{"name": "admin", "key": ADMIN_KEY, "scopes": ["admin"]}]),
        "PAYMENTS_SIMULATOR_WEBHOOK_SECRET": SIM_SECRET,
        "PAYMENTS_WORKER_IN_PROCESS": "false",
        "PAYMENTS_CALLBACK_SECRET": CALLBACK_SECRET,
        "PAYMENTS_ORDER_CALLBACK_URL": receiver[1],
        "PAYMENTS_LOG_LEVEL": "warning",
    }
    with api_processes(lambda _port: env) as urls:
        yield urls


def _webhook(payment_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "id": f"evt_sim_paid_{payment_id}",
            "type": "payment.succeeded",
            "created": int(time.time()),
            "data": {"payment_id": payment_id, "amount": 2_000, "currency": "USD"},
        }
    ).encode()
    return body, {"Content-Type": "application/json", "Simulator-Signature": sign(SIM_SECRET, body, int(time.time()))}


async def _flood(urls: list[str], payment_ids: list[str]) -> list[tuple[str, dict[str, object]]]:
    """Every webhook COPIES times, shuffled, 32 at a time, alternating between the two APIs."""
    deliveries = [pid for pid in payment_ids for _ in range(COPIES)]
    random.Random(7).shuffle(deliveries)
    gate = asyncio.Semaphore(32)
    async with httpx.AsyncClient(timeout=30) as http:

        async def send(index: int, payment_id: str) -> tuple[str, dict[str, object]]:
            body, headers = _webhook(payment_id)
            async with gate:
                answer = await http.post(f"{urls[index % 2]}/api/v1/webhooks/simulator", content=body, headers=headers)
            assert answer.status_code == 200, answer.text
            receipt: dict[str, object] = answer.json()
            return payment_id, receipt

        return await asyncio.gather(*(send(i, pid) for i, pid in enumerate(deliveries)))


def test_two_apis_and_two_workers_under_duplicate_webhooks(
    postgres: str, two_apis: list[str], workers: Workers
) -> None:
    workers.start("worker-a")
    workers.start("worker-b")
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(timeout=10) as http:
        payment_ids = [_checkout(http, two_apis[i % 2], f"scale-{i}", auth) for i in range(PAYMENTS)]

    receipts = asyncio.run(_flood(two_apis, payment_ids))

    firsts = [pid for pid, receipt in receipts if receipt["duplicate"] is False]
    assert sorted(firsts) == sorted(payment_ids)  # each event accepted as new exactly once, across both APIs
    eventually(lambda: asyncio.run(_delivered(postgres)) == PAYMENTS, timeout=90, what="every callback delivered")
    transitions, delivered_twice, statuses = asyncio.run(_books(postgres))
    assert transitions == dict.fromkeys(payment_ids, 1)  # one payment.succeeded audit row per payment
    assert delivered_twice == []  # no notification appears twice as delivered in the delivery log
    assert statuses == {"succeeded": PAYMENTS}


def _checkout(http: httpx.Client, url: str, order_id: str, auth: dict[str, str]) -> str:
    answer = http.post(
        f"{url}/api/v1/orders/{order_id}/checkout", json={"amount": 2_000, "currency": "USD"}, headers=auth
    )
    assert answer.status_code == 201, f"{order_id} at {url}: {answer.status_code} {answer.text}"
    payment_id: str = answer.json()["id"]
    return payment_id


async def _delivered(url: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM notifications WHERE event_type = 'payment.succeeded' AND status = 'delivered'"
        )
        return count
    finally:
        await connection.close()


async def _books(url: str) -> tuple[dict[str, int], list[str], dict[str, int]]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        transitions = await connection.fetch(
            "SELECT payment_id, count(*) AS n FROM payment_events WHERE type = 'payment.succeeded' GROUP BY payment_id"
        )
        twice = await connection.fetch(
            "SELECT notification_id FROM notification_attempts WHERE outcome = 'delivered' "
            "GROUP BY notification_id HAVING count(*) > 1"
        )
        statuses = await connection.fetch("SELECT status, count(*) AS n FROM payments GROUP BY status")
    finally:
        await connection.close()
    return (
        {row["payment_id"]: row["n"] for row in transitions},
        [row["notification_id"] for row in twice],
        {row["status"]: row["n"] for row in statuses},
    )
