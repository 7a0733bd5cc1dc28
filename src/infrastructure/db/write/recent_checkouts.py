"""The risk check's velocity counts (application/ports/risk.py `RecentCheckouts`), on the unit of work's transaction.

E-mails are counted whatever their case (`lower()` on both sides, an index on `lower(customer_email)`: 0012).
Exact under concurrency: before counting, the transaction takes a transaction-scoped advisory lock per counted key
(`pg_advisory_xact_lock`), in one global order (by the key's number) so that two checkouts that share keys cannot
deadlock. A concurrent checkout for the same e-mail, IP or order waits at the lock until the first one's transaction
ends; its count, a new statement under READ COMMITTED, then sees the payment the first one inserted. Several API
processes on one database lock and count the same rows. On SQLite `BEGIN IMMEDIATE` already serialises every
writing transaction, so no lock is needed there.

Two round trips whatever the number of velocity rules: one statement takes every lock (in the order of the array
it is given; it opens the transaction, in BEGIN's round trip: first_statement_begins.py), one answers every count
(a scalar subquery each). Each count walks an index, `(lower(customer_email) | customer_ip | order_id, created_at)`:
one short range per rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from typing import Any, Protocol

import sqlalchemy as sa

from application.ports.risk import CountedBy, RecentCount
from infrastructure.db.sql.runner import Runner
from infrastructure.db.tables import payments

_COLUMNS: dict[CountedBy, sa.Column[str]] = {
    "email": payments.c.customer_email,
    "ip": payments.c.customer_ip,
    "order": payments.c.order_id,
}
# One customer whatever the case: counted with both sides lowered by the same database function (Python's lower()
# and SQLite's, ASCII only, differ beyond ASCII), from the index on lower(customer_email) (0012); locked on the
# value lowered by Python, which folds at least what the database's does (at worst two e-mails the count tells
# apart share a lock, which only orders them)
_ANY_CASE: frozenset[CountedBy] = frozenset({"email"})


def _count(by: CountedBy, suffix: str = "") -> sa.Select[Any]:
    column: sa.ColumnElement[str] = _COLUMNS[by]
    value: sa.ColumnElement[str] = sa.bindparam("value" + suffix, type_=sa.String)
    if by in _ANY_CASE:
        column, value = sa.func.lower(column), sa.func.lower(value)
    return (
        sa.select(sa.func.count())
        .select_from(payments)
        .where(column == value, payments.c.created_at >= sa.bindparam("since" + suffix))
    )


COUNT: dict[CountedBy, sa.Select[Any]] = {by: _count(by) for by in _COLUMNS}  # one count alone (the plan tests)


def lock_all(keys: Collection[int]) -> str:
    """Every lock in one statement, as text: sent in BEGIN's round trip when it opens the transaction
    (first_statement_begins.py), which a simple query allows and parameters do not. The keys are our own 64-bit
    integers (lock_key), so writing them into the text is safe. Rows come out of unnest in the array's order and
    each lock is taken as its row is produced: the keys sorted, one order for every transaction."""
    array = ",".join(str(int(key)) for key in sorted(keys))
    return f"SELECT pg_advisory_xact_lock(key) FROM unnest(ARRAY[{array}]::bigint[]) AS keys(key)"  # noqa: S608


_COUNTS: dict[tuple[CountedBy, ...], sa.Select[Any]] = {}  # per combination of rules: a handful at most


def counts_of(shape: tuple[CountedBy, ...]) -> sa.Select[Any]:
    """Every count at once: `n0`, `n1`, … for the `by`s of `shape`, bound as `value_0`, `since_0`, …."""
    statement = _COUNTS.get(shape)
    if statement is None:
        subqueries = [_count(by, f"_{i}").scalar_subquery().label(f"n{i}") for i, by in enumerate(shape)]
        statement = _COUNTS[shape] = sa.select(*subqueries)
    return statement


def lock_key(by: CountedBy, value: str) -> int:
    """A signed 64-bit number for the key (what advisory locks take), the same in every process; an e-mail's
    case does not make another key (_ANY_CASE)."""
    if by in _ANY_CASE:
        value = value.lower()
    digest = hashlib.blake2b(f"payments-risk:{by}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Locks(Protocol):
    async def begin_with(self, command: str) -> None: ...


class SqlRecentCheckouts:
    def __init__(self, runner: Runner, locks: Locks | None) -> None:
        self._runner, self._locks = runner, locks  # None on SQLite: BEGIN IMMEDIATE already serialises writers

    async def count(self, queries: Sequence[RecentCount]) -> list[int]:
        if not queries:
            return []
        if self._locks is not None:
            await self._locks.begin_with(lock_all({lock_key(q.by, q.value) for q in queries}))
        values: dict[str, Any] = {}
        for i, query in enumerate(queries):
            values[f"value_{i}"], values[f"since_{i}"] = query.value, query.since
        row = await self._runner.fetch_one(counts_of(tuple(q.by for q in queries)), **values)
        assert row is not None  # a SELECT without FROM answers one row
        return [int(row[f"n{i}"]) for i in range(len(queries))]
