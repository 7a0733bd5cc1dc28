"""Leased claims on a work table (outbox, notifications, webhook events): one statement, safe under concurrency.

    UPDATE t SET claimed_by = :worker, claimed_until = :until
    WHERE id IN (SELECT id FROM t WHERE <due at :now> AND (claimed_until IS NULL OR claimed_until < :now)
                 ORDER BY … LIMIT :limit FOR UPDATE SKIP LOCKED)
    RETURNING …

On Postgres SKIP LOCKED lets concurrent workers each take different rows without waiting on each other; the
outer UPDATE re-checks nothing because the inner SELECT already locked exactly the rows it returns. SQLite has
no row locks (the clause compiles to nothing) and needs none: its writers run one after another, so the second
claim sees the first's lease. A lease that runs out (a killed worker) makes the row claimable again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def claim_statement(
    table: sa.Table, due: sa.ColumnElement[bool], order_by: Sequence[sa.ColumnElement[Any]] | None = None
) -> sa.Update:
    """Binds `now`, `worker`, `until` and `limit` (and whatever `due` binds); returns the claimed rows."""
    now = sa.bindparam("now", type_=table.c.claimed_until.type)
    candidates = (
        sa.select(table.c.id)
        .where(due, sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now))
        .order_by(*(order_by or (table.c.created_at, table.c.id)))
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .with_for_update(skip_locked=True)
    )
    return (
        sa.update(table)
        .where(table.c.id.in_(candidates.scalar_subquery()))
        .values(
            claimed_by=sa.bindparam("worker"), claimed_until=sa.bindparam("until", type_=table.c.claimed_until.type)
        )
        .returning(*table.c)
    )


def release_statement(table: sa.Table, statuses: Sequence[str] | None) -> sa.Update:
    """Gives back every claim of `worker` (on rows still in `statuses`, when given)."""
    mine = table.c.claimed_by == sa.bindparam("worker")
    where = mine if statuses is None else sa.and_(mine, table.c.status.in_(statuses))
    return sa.update(table).where(where).values(claimed_by=None, claimed_until=None)
