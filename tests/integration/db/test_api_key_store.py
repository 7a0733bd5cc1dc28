"""API keys on both stores: created once, stored hashed, revocable; configured keys beside them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.api_keys import Caller
from infrastructure.db.edge.api_key_store import SqlApiKeyStore
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import api_keys
from infrastructure.ids import SortableIdGenerator
from infrastructure.settings import ConfiguredApiKey
from tests.integration.db.builders import T0

CONFIGURED = ConfiguredApiKey("orders", "configured-key-0123456789", ("payments:write", "payments:read"))


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(database: Database, ids: SortableIdGenerator) -> SqlApiKeyStore:
    return SqlApiKeyStore(database, ids, (CONFIGURED,))


async def test_a_created_key_authenticates_and_is_stored_only_as_a_hash(
    store: SqlApiKeyStore, engine: AsyncEngine
) -> None:
    info, raw_key = await store.create("reports", ("payments:read",), T0)

    assert raw_key.startswith("pay_sk_")
    assert len(raw_key) > 40
    assert (info.name, info.scopes, info.created_at, info.revoked_at) == ("reports", ("payments:read",), T0, None)
    assert info.id.startswith("key_")
    assert raw_key.startswith(info.prefix)
    assert await store.authenticate(raw_key) == Caller("reports", frozenset({"payments:read"}))
    async with engine.connect() as connection:
        stored = (await connection.execute(sa.select(api_keys))).mappings().one()
    assert raw_key not in {str(value) for value in stored.values()}


async def test_unknown_keys_are_refused(store: SqlApiKeyStore) -> None:
    await store.create("reports", ("payments:read",), T0)

    assert await store.authenticate("pay_sk_not-a-key") is None
    assert await store.authenticate("") is None


async def test_configured_keys_authenticate_without_the_database(store: SqlApiKeyStore) -> None:
    assert await store.authenticate(CONFIGURED.key) == Caller("orders", frozenset(CONFIGURED.scopes))
    assert await store.authenticate(CONFIGURED.key + "x") is None


async def test_keys_are_listed_and_revoked_by_name_or_id(store: SqlApiKeyStore) -> None:
    _, first_key = await store.create("reports", ("payments:read",), T0)
    second, second_key = await store.create("refunds", ("refunds:write",), T0 + timedelta(seconds=1))

    assert [k.name for k in await store.list()] == ["reports", "refunds"]
    assert await store.revoke("reports", T0 + timedelta(hours=1))
    assert await store.revoke(second.id, T0 + timedelta(hours=1))
    assert not await store.revoke("reports", T0 + timedelta(hours=2))  # already revoked
    assert not await store.revoke("nobody", T0)

    assert await store.authenticate(first_key) is None
    assert await store.authenticate(second_key) is None
    assert [k.revoked_at for k in await store.list()] == [T0 + timedelta(hours=1)] * 2


async def test_names_are_unique_and_scopes_known(store: SqlApiKeyStore) -> None:
    await store.create("reports", ("payments:read",), T0)

    with pytest.raises(ValueError, match="already exists"):
        await store.create("reports", ("payments:read",), T0)
    with pytest.raises(ValueError, match="already configured"):
        await store.create("orders", ("payments:read",), T0)
    with pytest.raises(ValueError, match="scopes"):
        await store.create("other", ("payments:everything",), T0)


async def test_another_process_sees_a_revocation_once_its_cache_expires(
    database: Database, ids: SortableIdGenerator
) -> None:
    clock = FakeMonotonic()
    revoker = SqlApiKeyStore(database, ids)
    elsewhere = SqlApiKeyStore(database, ids, monotonic=clock)
    _, raw_key = await revoker.create("reports", ("payments:read",), T0)
    assert await elsewhere.authenticate(raw_key) is not None  # now cached there

    await revoker.revoke("reports", T0)

    assert await revoker.authenticate(raw_key) is None
    assert await elsewhere.authenticate(raw_key) is not None  # within the documented 5 s window
    clock.now += 5.1
    assert await elsewhere.authenticate(raw_key) is None
