"""The per-client-IP budget for failed authentication is shared through Redis: two API instances on one Redis
admit an address's failures up to the limit in total, then both answer 429 (each alone would admit the limit
again). Each run's client address is its own (behind a trusted proxy), so runs never share state."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import API_KEYS, LiveServer, serve

LIMIT = 4


@pytest.fixture
def keys() -> dict[str, str]:
    return {name: f"pk_ip_{name}_{uuid.uuid4().hex}" for name in API_KEYS}


@pytest.fixture
def two_apis(redis_url: str, sqlite: str, keys: dict[str, str]) -> Iterator[tuple[LiveServer, LiveServer]]:
    settings = {"redis_url": redis_url, "ip_rate_limit_per_minute": LIMIT, "trusted_proxies": ("127.0.0.0/8",)}
    first, second = serve(sqlite, keys, **settings), serve(sqlite, keys, **settings)
    try:
        yield next(first), next(second)
    finally:
        first.close()
        second.close()


def test_an_address_has_one_budget_across_instances(two_apis: tuple[LiveServer, LiveServer]) -> None:
    client = {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"}
    answers = [
        api.get("/api/v1/transactions", headers={**client, "Authorization": f"Bearer guess-{n}"}).status_code
        for n, api in enumerate([*two_apis, *two_apis, *two_apis])
    ]

    assert answers == [401] * LIMIT + [429, 429]
    assert all(api.get("/api/v1/transactions", key="reader", headers=client).status_code == 200 for api in two_apis)
