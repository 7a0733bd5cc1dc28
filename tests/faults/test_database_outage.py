"""The database goes away for a moment during webhook handling: the provider gets a non-2xx, or the event is
stored. A webhook answered 200 is never lost; the ones refused are stored when the provider sends them again."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from infrastructure.providers.signing import sign
from tests import databases
from tests.e2e.conftest import WEBHOOK_SECRET, LiveServer, serve
from tests.faults.conftest import api_keys  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres

EVENTS = 60


@pytest.fixture
def api(postgres: str, api_keys: dict[str, str]) -> Iterator[LiveServer]:  # noqa: F811
    # 60 checkouts and 60 reads in a second or two: far above the default per-key limit, which is not under test
    yield from serve(postgres, api_keys, rate_limit_per_second=10_000, rate_limit_per_minute=100_000)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _outage(database_url: str, seconds: float) -> None:
    """Nobody may connect, and every open connection is cut; then the database comes back."""
    name = urlsplit(database_url).path.lstrip("/")
    admin = await asyncpg.connect(_dsn(databases.admin_postgres_url()))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await asyncio.sleep(seconds)
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


def _webhook(payment_id: str) -> tuple[bytes, dict[str, str]]:
    now = int(time.time())
    body = json.dumps(
        {"id": f"evt_sim_outage_{payment_id}", "type": "payment.succeeded", "created": now,
         "data": {"payment_id": payment_id, "amount": 1_000, "currency": "USD"}}
    ).encode()  # fmt: skip
    return body, {"Content-Type": "application/json", "Simulator-Signature": sign(WEBHOOK_SECRET, body, now)}


async def _deliver(base_url: str, payment_ids: list[str], database_url: str | None) -> dict[str, int]:
    """Sends one webhook per payment, 8 at a time; with `database_url`, the database goes away mid-burst."""
    gate = asyncio.Semaphore(8)
    answered = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:

        async def send(payment_id: str) -> tuple[str, int]:
            nonlocal answered
            body, headers = _webhook(payment_id)
            async with gate:
                answer = await http.post("/api/v1/webhooks/simulator", content=body, headers=headers)
            answered += 1
            return payment_id, answer.status_code

        sends = [asyncio.create_task(send(pid)) for pid in payment_ids]
        if database_url is not None:  # mid-burst: a quarter answered, the rest in flight or still to come
            while answered < len(payment_ids) // 4:
                await asyncio.sleep(0.005)
            await _outage(database_url, 1.0)
        return dict(await asyncio.gather(*sends))


async def _stored(database_url: str) -> set[str]:
    connection = await asyncpg.connect(_dsn(database_url))
    try:
        rows = await connection.fetch("SELECT event_id FROM webhook_events WHERE provider = 'simulator'")
    finally:
        await connection.close()
    return {row["event_id"] for row in rows}


def test_an_acknowledged_webhook_is_never_lost_when_the_database_goes_away(api: LiveServer, postgres: str) -> None:
    payment_ids = [api.checkout(f"order-outage-{i}", 1_000).json()["id"] for i in range(EVENTS)]

    answers = asyncio.run(_deliver(api.base_url, payment_ids, postgres))

    assert set(answers.values()) == {200, 503}, answers  # some before the outage; the rest refused, never a 500
    acknowledged = {f"evt_sim_outage_{pid}" for pid, status in answers.items() if status == 200}
    assert acknowledged <= asyncio.run(_stored(postgres))  # every 200 was stored
    refused = [pid for pid, status in answers.items() if status != 200]
    for _ in range(5):  # the provider's retries
        if not refused:
            break
        answers = asyncio.run(_deliver(api.base_url, refused, None))
        refused = [pid for pid, status in answers.items() if status != 200]
        time.sleep(0.2)
    assert refused == []
    assert {api.payment(pid)["status"] for pid in payment_ids} == {"succeeded"}
