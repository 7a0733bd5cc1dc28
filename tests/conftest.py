"""Fixtures shared by every test leg: databases on SQLite and Postgres, migrated by Alembic (never create_all)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.db import migrate
from tests import databases

# The files that start processes (servers, workers, mypy) take the longest: 10-90 s each. On parallel workers
# (the Makefile's `--dist loadfile`, files handed out in collection order) they go first, so that none of them is
# left running alone on one worker at the end while the others have nothing to do.
_LONGEST_FIRST = ("tests/integration/cli/", "tests/faults/", "tests/test_code_quality.py", "tests/browser/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # any test that uses the Postgres database is marked, so `-m postgres` selects the leg
    for item in items:
        if "postgres" in item.fixturenames or "[postgres" in item.nodeid:
            item.add_marker(pytest.mark.postgres)
        if item.get_closest_marker("postgres") is not None:  # marked here or by its module
            item.user_properties.append(("leg", "postgres"))  # in the JUnit report: .ci/run counts the leg by it
    items.sort(key=lambda item: not item.nodeid.startswith(_LONGEST_FIRST))  # stable: otherwise as collected


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """One migrated Postgres database for the whole test session (dropped at the end)."""
    reason = asyncio.run(databases.postgres_unreachable_reason())
    if reason is not None:
        if databases.postgres_required():
            pytest.fail(f"PAYMENTS_TEST_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    url = asyncio.run(databases.create_database())
    try:
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(databases.drop_database(url))


@pytest.fixture
async def postgres(postgres_session_url: str) -> str:
    """The session's Postgres database, emptied before the test."""
    await databases.truncate_all(postgres_session_url)
    return postgres_session_url


@pytest.fixture
async def sqlite(tmp_path: Path) -> str:
    """A fresh migrated SQLite file for this test."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Every store test runs on both SQLite and Postgres.

    Synchronous on purpose: an async fixture cannot set up another async fixture through getfixturevalue
    (pytest-asyncio would start the second one's loop inside the running one)."""
    url: str = request.getfixturevalue(request.param)
    return url
