"""Fixtures for the outbox relay and callback delivery: an engine on the migrated database (both stores)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database
from infrastructure.db.worker.notification_store import SqlNotificationStore
from infrastructure.db.worker.outbox_store import SqlOutbox
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.worker.loopback import LOOPS, RunOnLoop


@pytest.fixture(params=sorted(LOOPS))
def run(request: pytest.FixtureRequest) -> RunOnLoop:
    """Runs a test's coroutine to its end (30 s at most) on a new loop of the kind the parameter names."""

    def on_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
        with asyncio.Runner(loop_factory=LOOPS[request.param]) as runner:
            return runner.run(asyncio.wait_for(coroutine, 30))

    return on_loop


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def ids() -> SortableIdGenerator:
    return SortableIdGenerator()


@pytest.fixture
def uow(engine: AsyncEngine, ids: SortableIdGenerator) -> SqlUnitOfWork:
    return SqlUnitOfWork(Database(engine), ids)


@pytest.fixture
def outbox(engine: AsyncEngine) -> SqlOutbox:
    return SqlOutbox(Database(engine))


@pytest.fixture
def notifications(engine: AsyncEngine) -> SqlNotificationStore:
    return SqlNotificationStore(Database(engine))
