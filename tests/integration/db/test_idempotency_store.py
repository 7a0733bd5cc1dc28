"""Idempotency-Key storage on both stores (Stripe semantics: replay, reuse, in use, 24 hours)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.idempotency import StoredResponse
from application.errors import IdempotencyKeyInUse, IdempotencyKeyReuse
from infrastructure.db.edge.idempotency_store import SqlIdempotencyStore
from infrastructure.db.sql.database import Database
from tests.integration.db.builders import T0

CREATED = StoredResponse(201, b'{"id": "pay_1"}', "application/json", "/api/v1/payments/pay_1")


@pytest.fixture
def keys(engine: AsyncEngine) -> SqlIdempotencyStore:
    return SqlIdempotencyStore(Database(engine))


async def test_a_completed_request_is_replayed(keys: SqlIdempotencyStore) -> None:
    assert await keys.begin("orders", "k1", "fp-a", T0) is None
    await keys.complete("orders", "k1", CREATED, T0)

    assert await keys.begin("orders", "k1", "fp-a", T0 + timedelta(hours=1)) == CREATED


async def test_the_same_key_with_another_request_is_refused(keys: SqlIdempotencyStore) -> None:
    await keys.begin("orders", "k1", "fp-a", T0)
    await keys.complete("orders", "k1", CREATED, T0)

    with pytest.raises(IdempotencyKeyReuse):
        await keys.begin("orders", "k1", "fp-b", T0)


async def test_a_key_still_running_is_in_use(keys: SqlIdempotencyStore) -> None:
    await keys.begin("orders", "k1", "fp-a", T0)

    with pytest.raises(IdempotencyKeyInUse):
        await keys.begin("orders", "k1", "fp-a", T0)


async def test_a_released_key_may_be_used_again(keys: SqlIdempotencyStore) -> None:
    await keys.begin("orders", "k1", "fp-a", T0)
    await keys.release("orders", "k1")

    assert await keys.begin("orders", "k1", "fp-b", T0) is None


async def test_release_never_forgets_a_completed_response(keys: SqlIdempotencyStore) -> None:
    await keys.begin("orders", "k1", "fp-a", T0)
    await keys.complete("orders", "k1", CREATED, T0)
    await keys.release("orders", "k1")

    assert await keys.begin("orders", "k1", "fp-a", T0) == CREATED


async def test_keys_expire_after_24_hours(keys: SqlIdempotencyStore) -> None:
    await keys.begin("orders", "k1", "fp-a", T0)
    await keys.complete("orders", "k1", CREATED, T0)
    later = T0 + timedelta(hours=24, seconds=1)

    assert await keys.begin("orders", "k1", "fp-b", later) is None  # taken over, response forgotten
    with pytest.raises(IdempotencyKeyInUse):
        await keys.begin("orders", "k1", "fp-b", later)


async def test_keys_belong_to_their_api_key(keys: SqlIdempotencyStore) -> None:
    await keys.begin("orders", "k1", "fp-a", T0)

    assert await keys.begin("admin", "k1", "fp-b", T0) is None


async def test_of_concurrent_requests_with_one_key_exactly_one_runs(keys: SqlIdempotencyStore) -> None:
    async def attempt() -> bool:
        try:
            return await keys.begin("orders", "k-race", "fp", T0) is None
        except IdempotencyKeyInUse:
            return False

    outcomes = await asyncio.gather(*(attempt() for _ in range(8)))

    assert outcomes.count(True) == 1
