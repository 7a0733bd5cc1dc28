"""The risk check's velocity counts (application/ports/risk.py `RecentCheckouts`), on the unit of work's transaction.

Exact under concurrency: before counting, the transaction takes a transaction-scoped advisory lock per counted key
(`pg_advisory_xact_lock`), in one global order (by the key's number) so that two checkouts that share keys cannot
deadlock. A concurrent checkout for the same e-mail, IP or order waits at the lock until the first one's transaction
ends; its count, a new statement under READ COMMITTED, then sees the payment the first one inserted. Several API
processes on one database lock and count the same rows. On SQLite `BEGIN IMMEDIATE` already serialises every
writing transaction, so no lock is needed there.

Each count walks an index, `(customer_email | customer_ip | order_id, created_at)`: one short range per checkout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from application.ports.risk import CountedBy, RecentCount
from infrastructure.db.sql.drivers import Connection
from infrastructure.db.tables import payments

_COLUMNS: dict[CountedBy, sa.Column[str]] = {
    "email": payments.c.customer_email,
    "ip": payments.c.customer_ip,
    "order": payments.c.order_id,
}
COUNT: dict[CountedBy, sa.Select[Any]] = {
    by: sa.select(sa.func.count())
    .select_from(payments)
    .where(column == sa.bindparam("value"), payments.c.created_at >= sa.bindparam("since"))
    for by, column in _COLUMNS.items()
}
LOCK = sa.select(sa.func.pg_advisory_xact_lock(sa.bindparam("key", type_=sa.BigInteger)))


def lock_key(by: CountedBy, value: str) -> int:
    """A signed 64-bit number for the key (what advisory locks take), the same in every process."""
    digest = hashlib.blake2b(f"payments-risk:{by}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SqlRecentCheckouts:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def count(self, queries: Sequence[RecentCount]) -> list[int]:
        if self._connection.dialect_name == "postgresql":
            for key in sorted({lock_key(q.by, q.value) for q in queries}):
                await self._connection.fetch(LOCK, key=key)
        return [int(await self._connection.fetch_value(COUNT[q.by], value=q.value, since=q.since)) for q in queries]
