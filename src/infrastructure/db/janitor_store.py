"""The janitor's schedule on SQLAlchemy Core, answered from the `(status, next_check_at)` indexes.

A claim is one short transaction: select what is due, move its `next_check_at` to the end of a lease, commit.
On Postgres the select is `FOR UPDATE SKIP LOCKED`, so concurrent claimers take disjoint rows without waiting
on each other; on SQLite the transaction's `BEGIN IMMEDIATE` serialises claimers (see engine.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.data.janitor import DueCheck
from infrastructure.db.errors import store_errors
from infrastructure.db.tables import payments, refunds

_PROCESSING, _PENDING = "processing", "pending"


class SqlAlchemyJanitorStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim_due_payments(
        self, now: datetime, *, first_check_after: timedelta, lease: timedelta, limit: int
    ) -> list[DueCheck]:
        never_checked = sa.and_(
            payments.c.next_check_at.is_(None),
            sa.or_(payments.c.created_at <= now - first_check_after, payments.c.expires_at <= now),
        )
        due = sa.and_(payments.c.status == _PROCESSING, sa.or_(payments.c.next_check_at <= now, never_checked))
        statement = sa.select(payments.c.id, payments.c.checks).where(due).order_by(payments.c.id).limit(limit)
        rows = await self._claim(payments, statement, now + lease)
        return [DueCheck(payment_id=row["id"], checks=row["checks"]) for row in rows]

    async def claim_due_refunds(
        self, now: datetime, *, first_check_after: timedelta, lease: timedelta, limit: int
    ) -> list[DueCheck]:
        never_checked = sa.and_(refunds.c.next_check_at.is_(None), refunds.c.created_at <= now - first_check_after)
        due = sa.and_(refunds.c.status == _PENDING, sa.or_(refunds.c.next_check_at <= now, never_checked))
        statement = (
            sa.select(refunds.c.id, refunds.c.payment_id, refunds.c.checks)
            .where(due)
            .order_by(refunds.c.id)
            .limit(limit)
        )
        rows = await self._claim(refunds, statement, now + lease)
        return [DueCheck(payment_id=row["payment_id"], checks=row["checks"], refund_id=row["id"]) for row in rows]

    async def schedule_payment(self, payment_id: str, checks: int, next_check_at: datetime) -> None:
        await self._schedule(payments, payment_id, checks, next_check_at)

    async def schedule_refund(self, refund_id: str, checks: int, next_check_at: datetime) -> None:
        await self._schedule(refunds, refund_id, checks, next_check_at)

    async def _claim(self, table: sa.Table, statement: sa.Select[Any], until: datetime) -> list[dict[str, Any]]:
        with store_errors():
            async with self._engine.begin() as connection:
                if _locks_rows(connection):
                    statement = statement.with_for_update(skip_locked=True)
                rows = [dict(row) for row in (await connection.execute(statement)).mappings()]
                if rows:
                    ids = [row["id"] for row in rows]
                    await connection.execute(sa.update(table).where(table.c.id.in_(ids)).values(next_check_at=until))
        return rows

    async def _schedule(self, table: sa.Table, row_id: str, checks: int, next_check_at: datetime) -> None:
        with store_errors():
            async with self._engine.begin() as connection:
                await connection.execute(
                    sa.update(table).where(table.c.id == row_id).values(checks=checks, next_check_at=next_check_at)
                )


def _locks_rows(connection: AsyncConnection) -> bool:
    return connection.dialect.name != "sqlite"
