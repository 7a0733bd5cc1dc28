"""The janitor's schedule, answered from the `(status, next_check_at)` indexes.

A claim is one statement: the due rows' `next_check_at` moves to the end of a lease and their ids come back. On
Postgres the rows are selected `FOR UPDATE SKIP LOCKED`, so concurrent claimers take disjoint rows without
waiting on each other; SQLite's writers run one after another anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from application.data.janitor import DueCheck
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import payments, refunds

_NOW = sa.bindparam("now", type_=payments.c.next_check_at.type)
_FIRST_CHECK_BEFORE = sa.bindparam("first_check_before", type_=payments.c.created_at.type)


def _claim(table: sa.Table, due: sa.ColumnElement[bool], returned: tuple[str, ...]) -> sa.Update:
    candidates = (
        sa.select(table.c.id)
        .where(due)
        .order_by(table.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .with_for_update(skip_locked=True)
    )
    return (
        sa.update(table)
        .where(table.c.id.in_(candidates.scalar_subquery()))
        .values(next_check_at=sa.bindparam("until", type_=table.c.next_check_at.type))
        .returning(*(table.c[name] for name in returned))
    )


_CLAIM_PAYMENTS = _claim(
    payments,
    sa.and_(
        payments.c.status.in_(("processing", "authorized")),  # open checkouts and holds
        sa.or_(
            payments.c.next_check_at <= _NOW,
            sa.and_(
                payments.c.next_check_at.is_(None),
                sa.or_(payments.c.created_at <= _FIRST_CHECK_BEFORE, payments.c.expires_at <= _NOW),
            ),
        ),
    ),
    ("id", "checks"),
)
_CLAIM_REFUNDS = _claim(
    refunds,
    sa.and_(
        refunds.c.status == "pending",
        sa.or_(
            refunds.c.next_check_at <= _NOW,
            sa.and_(refunds.c.next_check_at.is_(None), refunds.c.created_at <= _FIRST_CHECK_BEFORE),
        ),
    ),
    ("id", "payment_id", "checks"),
)


def _schedule(table: sa.Table) -> sa.Update:
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(checks=sa.bindparam("checks"), next_check_at=sa.bindparam("next_check_at"))
    )


_SCHEDULE_PAYMENT, _SCHEDULE_REFUND = _schedule(payments), _schedule(refunds)


class SqlJanitorStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def claim_due_payments(
        self, now: datetime, *, first_check_after: timedelta, lease: timedelta, limit: int
    ) -> list[DueCheck]:
        rows = await self._db.write(
            _CLAIM_PAYMENTS, now=now, first_check_before=now - first_check_after, until=now + lease, limit=limit
        )
        return sorted(
            (DueCheck(payment_id=row["id"], checks=row["checks"]) for row in rows), key=lambda d: d.payment_id
        )

    async def claim_due_refunds(
        self, now: datetime, *, first_check_after: timedelta, lease: timedelta, limit: int
    ) -> list[DueCheck]:
        rows = await self._db.write(
            _CLAIM_REFUNDS, now=now, first_check_before=now - first_check_after, until=now + lease, limit=limit
        )
        due = (DueCheck(payment_id=row["payment_id"], checks=row["checks"], refund_id=row["id"]) for row in rows)
        return sorted(due, key=lambda d: d.refund_id or "")

    async def schedule_payment(self, payment_id: str, checks: int, next_check_at: datetime) -> None:
        await self._db.execute(_SCHEDULE_PAYMENT, row_id=payment_id, checks=checks, next_check_at=next_check_at)

    async def schedule_refund(self, refund_id: str, checks: int, next_check_at: datetime) -> None:
        await self._db.execute(_SCHEDULE_REFUND, row_id=refund_id, checks=checks, next_check_at=next_check_at)
