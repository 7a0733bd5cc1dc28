"""Losing Postgres connections on purpose, as a restart or an administrator would, for the replacement tests."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.sql.drivers import Connection


async def terminate_other_sessions(engine: AsyncEngine) -> None:
    """Ends every other session on the test's database (never another worker's: each has its own database)."""
    async with engine.connect() as admin:
        await admin.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


async def seen_closed(connection: Connection) -> bool:
    """Waits (up to a second) until the event loop has read the server's goodbye on this connection."""
    for _ in range(100):
        if not connection.is_usable():
            return True
        await asyncio.sleep(0.01)
    return False
