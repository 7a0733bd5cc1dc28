"""Payments created per hour, in one statement over the `(created_at, id)` index.

Each hour is a `count(CASE WHEN created_at in the hour THEN 1 END)` with bound edges, which both dialects
spell alike (no date_trunc or strftime), so the statement is written and compiled once per number of hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from infrastructure.db.sql.runner import Runner
from infrastructure.db.tables import payments

_STATEMENTS: dict[int, sa.Select[Any]] = {}


def _edge(index: int) -> sa.BindParameter[Any]:
    return sa.bindparam(f"edge_{index}", type_=payments.c.created_at.type)


def _per_hour(hours: int) -> sa.Select[Any]:
    created = payments.c.created_at
    counts: list[sa.ColumnElement[Any]] = [
        sa.func.count(sa.case((sa.and_(created >= _edge(i), created < _edge(i + 1)), 1))).label(f"hour_{i}")
        for i in range(hours)
    ]
    return sa.select(*counts).where(created >= _edge(0), created < _edge(hours))


class SqlPaymentActivity:
    def __init__(self, database: Runner) -> None:
        self._db = database

    async def created_per_hour(self, since: datetime, hours: int) -> tuple[int, ...]:
        statement = _STATEMENTS.get(hours)
        if statement is None:
            statement = _STATEMENTS[hours] = _per_hour(hours)
        edges = {f"edge_{i}": since + timedelta(hours=i) for i in range(hours + 1)}
        row = await self._db.fetch_one(statement, **edges)
        return tuple(int(row[f"hour_{i}"]) if row else 0 for i in range(hours))
