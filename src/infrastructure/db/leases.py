"""Leased claims on a work table (outbox, notifications): one short transaction, one statement.

    UPDATE t SET claimed_by = :worker, claimed_until = :now + :lease
    WHERE id IN (SELECT id FROM t WHERE status IN (…) AND next_attempt_at <= :now
                 AND (claimed_until IS NULL OR claimed_until < :now)
                 ORDER BY created_at, id LIMIT :n FOR UPDATE SKIP LOCKED)
    RETURNING …

On Postgres SKIP LOCKED lets concurrent workers each take different rows without waiting on each other; the
outer UPDATE re-checks nothing because the inner SELECT already locked exactly the rows it returns. SQLite has
no row locks and needs none: the transaction starts with BEGIN IMMEDIATE (engine.py), so claims run one after
another and the second sees the first's lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa


def claim_statement(
    table: sa.Table,
    statuses: Sequence[str],
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    dialect_name: str,
) -> sa.Update:
    due = (
        sa.select(table.c.id)
        .where(
            table.c.status.in_(statuses),
            table.c.next_attempt_at <= now,
            sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
        )
        .order_by(table.c.created_at, table.c.id)
        .limit(limit)
    )
    if dialect_name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    return (
        sa.update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + lease)
        .returning(*table.c)
    )


def release_statement(table: sa.Table, statuses: Sequence[str], worker: str) -> sa.Update:
    return (
        sa.update(table)
        .where(table.c.claimed_by == worker, table.c.status.in_(statuses))
        .values(claimed_by=None, claimed_until=None)
    )
