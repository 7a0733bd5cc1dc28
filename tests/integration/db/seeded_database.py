"""A Postgres database of a test module's own, migrated, filled by the module's SQL and analysed once: for the plan
tests, which explain statements over realistically many rows (the session's database is emptied by other tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import asyncpg

from infrastructure.db import migrate
from tests import databases

Seed = Sequence[tuple[str, Sequence[Any]]]  # SQL statements and their arguments, run in order


@contextmanager
def seeded_database(seed: Seed) -> Iterator[str]:
    url = asyncio.run(databases.create_database())
    try:
        migrate.upgrade(url)
        asyncio.run(_fill(url, seed))
        yield url
    finally:
        asyncio.run(databases.drop_database(url))


async def _fill(url: str, seed: Seed) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        for statement, arguments in seed:
            await connection.execute(statement, *arguments)
        await connection.execute("ANALYZE")  # the planner's statistics, as autovacuum would have them
    finally:
        await connection.close()
