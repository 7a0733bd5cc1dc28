"""Fixtures for the storage adapters: an engine on the migrated test database (SQLite and Postgres legs)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def database(engine: AsyncEngine) -> Database:
    """The seam every store runs its statements through, on the engine's pool."""
    return Database(engine)


@pytest.fixture
def ids() -> SortableIdGenerator:
    return SortableIdGenerator()


@pytest.fixture
def uow(engine: AsyncEngine, ids: SortableIdGenerator) -> SqlUnitOfWork:
    return SqlUnitOfWork(Database(engine), ids)
