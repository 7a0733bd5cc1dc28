"""Idempotency-Key records (Stripe semantics) in their own short transactions, never the business one's."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.data.idempotency import StoredResponse
from application.errors import IdempotencyKeyInUse, IdempotencyKeyReuse
from infrastructure.db.conflicts import insert_or_ignore
from infrastructure.db.errors import store_errors
from infrastructure.db.tables import idempotency_keys as keys

KEEP_FOR = timedelta(hours=24)
IN_FLIGHT, COMPLETED = "in_flight", "completed"


class SqlAlchemyIdempotencyStore:
    """A claim is an `in_flight` row inserted with ON CONFLICT DO NOTHING: of concurrent requests with one key,
    exactly one inserts it; the others find the row and are refused (in use) or replayed (completed)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def begin(self, owner: str, key: str, fingerprint: str, now: datetime) -> StoredResponse | None:
        with store_errors():
            async with self._engine.begin() as connection:
                if await self._claim(connection, owner, key, fingerprint, now):
                    return None
                row = (await connection.execute(sa.select(keys).where(*_this(owner, key)))).mappings().one()
                if row["expires_at"] <= now:
                    await self._take_over(connection, row, fingerprint, now)
                    return None
        if row["fingerprint"] != fingerprint:
            raise IdempotencyKeyReuse(key)
        if row["status"] != COMPLETED:
            raise IdempotencyKeyInUse(key)
        return StoredResponse(row["response_status"], row["response_body"], row["content_type"], row["location"])

    async def complete(self, owner: str, key: str, response: StoredResponse, now: datetime) -> None:
        statement = (
            sa.update(keys)
            .where(*_this(owner, key))
            .values(
                status=COMPLETED,
                response_status=response.status,
                response_body=response.body,
                content_type=response.content_type,
                location=response.location,
            )
        )
        with store_errors():
            async with self._engine.begin() as connection:
                await connection.execute(statement)

    async def release(self, owner: str, key: str) -> None:
        with store_errors():
            async with self._engine.begin() as connection:
                await connection.execute(sa.delete(keys).where(*_this(owner, key), keys.c.status == IN_FLIGHT))

    async def _claim(self, connection: AsyncConnection, owner: str, key: str, fingerprint: str, now: datetime) -> bool:
        insert = (
            insert_or_ignore(connection.dialect.name, keys, ("owner", "key"))
            .values(
                owner=owner,
                key=key,
                fingerprint=fingerprint,
                status=IN_FLIGHT,
                created_at=now,
                expires_at=now + KEEP_FOR,
            )
            .returning(keys.c.key)
        )
        return (await connection.execute(insert)).first() is not None

    async def _take_over(self, connection: AsyncConnection, row: RowMapping, fingerprint: str, now: datetime) -> None:
        """An expired key counts as unused. Guarded by the old expiry so two takers cannot both win."""
        statement = (
            sa.update(keys)
            .where(*_this(row["owner"], row["key"]), keys.c.expires_at == row["expires_at"])
            .values(
                fingerprint=fingerprint,
                status=IN_FLIGHT,
                response_status=None,
                response_body=None,
                content_type=None,
                location=None,
                created_at=now,
                expires_at=now + KEEP_FOR,
            )
        )
        if (await connection.execute(statement)).rowcount != 1:
            raise IdempotencyKeyInUse(row["key"])


def _this(owner: str, key: str) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    return keys.c.owner == owner, keys.c.key == key
