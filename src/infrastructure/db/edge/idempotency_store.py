"""Idempotency-Key records (Stripe semantics) in their own short transactions, never the business one's."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from application.data.idempotency import StoredResponse
from application.errors import IdempotencyKeyInUse, IdempotencyKeyReuse
from infrastructure.db.conflicts import insert_or_ignore
from infrastructure.db.sql.database import Database
from infrastructure.db.sql.drivers import Connection
from infrastructure.db.sql.runner import PerDialect, Row
from infrastructure.db.tables import idempotency_keys as keys

KEEP_FOR = timedelta(hours=24)
IN_FLIGHT, COMPLETED = "in_flight", "completed"
_THIS = (keys.c.owner == sa.bindparam("owner"), keys.c.key == sa.bindparam("key"))
_CLAIMED = ("owner", "key", "fingerprint", "status", "created_at", "expires_at")


def _claim(dialect: Dialect) -> sa.Insert:
    insert = insert_or_ignore(dialect.name, keys, ("owner", "key"))
    return insert.values({name: sa.bindparam(name) for name in _CLAIMED}).returning(keys.c.key)


_CLAIM = PerDialect(_claim)
_FIND = sa.select(keys).where(*_THIS)
# An expired key counts as unused. Guarded by the old expiry so two takers cannot both win.
_TAKE_OVER = (
    sa.update(keys)
    .where(*_THIS, keys.c.expires_at == sa.bindparam("old_expiry", type_=keys.c.expires_at.type))
    .values(
        fingerprint=sa.bindparam("fingerprint"),
        status=IN_FLIGHT,
        response_status=None,
        response_body=None,
        content_type=None,
        location=None,
        created_at=sa.bindparam("created_at"),
        expires_at=sa.bindparam("expires_at"),
    )
)
_COMPLETE = (
    sa.update(keys)
    .where(*_THIS)
    .values(
        status=COMPLETED,
        response_status=sa.bindparam("response_status"),
        response_body=sa.bindparam("response_body"),
        content_type=sa.bindparam("content_type"),
        location=sa.bindparam("location"),
    )
)
_RELEASE = sa.delete(keys).where(*_THIS, keys.c.status == IN_FLIGHT)


class SqlIdempotencyStore:
    """A claim is an `in_flight` row inserted with ON CONFLICT DO NOTHING: of concurrent requests with one key,
    exactly one inserts it; the others find the row and are refused (in use) or replayed (completed)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def begin(self, owner: str, key: str, fingerprint: str, now: datetime) -> StoredResponse | None:
        async with self._db.transaction() as tx:
            if await self._claimed(tx, owner, key, fingerprint, now):
                return None
            row = await tx.fetch_one(_FIND, owner=owner, key=key)
            assert row is not None  # the insert conflicted with it, and nothing deletes a completed key
            if row["expires_at"] <= now:
                await self._take_over(tx, row, fingerprint, now)
                return None
        if row["fingerprint"] != fingerprint:
            raise IdempotencyKeyReuse(key)
        if row["status"] != COMPLETED:
            raise IdempotencyKeyInUse(key)
        return StoredResponse(row["response_status"], row["response_body"], row["content_type"], row["location"])

    async def complete(self, owner: str, key: str, response: StoredResponse, now: datetime) -> None:
        await self._db.execute(
            _COMPLETE,
            owner=owner,
            key=key,
            response_status=response.status,
            response_body=response.body,
            content_type=response.content_type,
            location=response.location,
        )

    async def release(self, owner: str, key: str) -> None:
        await self._db.execute(_RELEASE, owner=owner, key=key)

    @staticmethod
    async def _claimed(tx: Connection, owner: str, key: str, fingerprint: str, now: datetime) -> bool:
        claimed = await tx.write(
            _CLAIM,
            owner=owner,
            key=key,
            fingerprint=fingerprint,
            status=IN_FLIGHT,
            created_at=now,
            expires_at=now + KEEP_FOR,
        )
        return bool(claimed)

    @staticmethod
    async def _take_over(tx: Connection, row: Row, fingerprint: str, now: datetime) -> None:
        taken = await tx.execute(
            _TAKE_OVER,
            owner=row["owner"],
            key=row["key"],
            old_expiry=row["expires_at"],
            fingerprint=fingerprint,
            created_at=now,
            expires_at=now + KEEP_FOR,
        )
        if taken != 1:
            raise IdempotencyKeyInUse(row["key"])
