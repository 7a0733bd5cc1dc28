"""Single-statement reads on the asyncpg connection under a pooled SQLAlchemy connection (the Postgres fast path).

The connection is borrowed from SQLAlchemy's pool (one pool to size and dispose) and used without a transaction:
a single statement is its own snapshot. A pooled connection that died (a database restart or outage) is
invalidated, so the pool replaces it, and the read is tried again on the next one: reads are safe to repeat.
A failure to connect is not retried: then the store is down.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from infrastructure.db.errors import is_lost_connection, store_errors


async def fetch_row(engine: AsyncEngine, statement: str, *args: Any) -> Any:
    """The first row of `statement` (an asyncpg Record, or None); driver errors become StoreUnavailable."""
    return await _on_driver(engine, "fetchrow", statement, args)


async def fetch_rows(engine: AsyncEngine, statement: str, *args: Any) -> list[Any]:
    """Every row of `statement` (asyncpg Records: read-only mappings by column name); as `fetch_row` otherwise."""
    rows: list[Any] = await _on_driver(engine, "fetch", statement, args)
    return rows


async def _on_driver(engine: AsyncEngine, method: str, statement: str, args: tuple[Any, ...]) -> Any:
    pool = engine.pool
    with store_errors():
        for attempt in range(pool.size() + 1 if isinstance(pool, QueuePool) else 1, 0, -1):
            connection = await engine.connect()
            try:
                driver: Any = (await connection.get_raw_connection()).driver_connection
                return await getattr(driver, method)(statement, *args)
            except BaseException as error:
                lost = is_lost_connection(error)
                if lost:
                    await connection.invalidate()
                if attempt == 1 or not lost:
                    raise
            finally:
                await connection.close()
    raise AssertionError("unreachable: the last attempt returns or raises")
