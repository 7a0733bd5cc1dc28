"""Two real `payments serve` processes sharing one Redis: one key's requests, sent concurrently to both, are
admitted exactly up to the limit in total (each process alone would admit the limit again)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_processes import api_processes

PER_MINUTE = 10  # one more every 6 s: nothing refills while the burst is in flight


@pytest.fixture
def key() -> tuple[str, str]:
    """An API key (name, secret) of this test's own: its rate-limit state in Redis is shared with no other run."""
    return f"rl-{uuid.uuid4().hex[:12]}", f"pk_rate_limit_{uuid.uuid4().hex}"


@pytest.fixture
def two_apis(redis_url: str, key: tuple[str, str], tmp_path: Path) -> Iterator[list[str]]:
    name, secret = key
    env = {
        **os.environ,
        "PAYMENTS_REDIS_URL": redis_url,
        "PAYMENTS_API_KEYS": json.dumps([{"name": name, "key": secret, "scopes": ["payments:read"]}]),
        "PAYMENTS_RATE_LIMIT_PER_SECOND": "1000",
        "PAYMENTS_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
        "PAYMENTS_WORKER_IN_PROCESS": "false",
        "PAYMENTS_LOG_LEVEL": "warning",
    }

    # a database each: the limit is all they share
    def env_for(port: int) -> dict[str, str]:
        return {**env, "PAYMENTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / f'api-{port}.db'}"}

    with api_processes(env_for) as urls:
        yield urls


async def _burst(urls: list[str], secret: str, count: int) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(timeout=10) as client:
        requests = [client.get(f"{urls[n % 2]}/api/v1/payments/pay_missing_{n}", headers=headers) for n in range(count)]
        return await asyncio.gather(*requests)


def test_two_processes_share_one_limit_through_redis(two_apis: list[str], key: tuple[str, str]) -> None:
    responses = asyncio.run(_burst(two_apis, key[1], 4 * PER_MINUTE))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {404, 429}, statuses  # admitted requests find no payment; the rest are refused
    # each process got twice PER_MINUTE requests and, counting alone, would have admitted PER_MINUTE of them
    assert all(sum(str(r.url).startswith(url) for r in responses) == 2 * PER_MINUTE for url in two_apis)
    assert statuses.count(404) == PER_MINUTE
    refused = [r for r in responses if r.status_code == 429]
    assert all(r.headers["ratelimit-remaining"] == "0" for r in refused)
    assert all(1 <= int(r.headers["retry-after"]) <= 6 for r in refused)
