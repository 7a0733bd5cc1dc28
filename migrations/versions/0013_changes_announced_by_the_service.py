"""The service announces its own payment changes after commit; the triggers cover every other writer.

0006's triggers call `pg_notify` inside the writing transaction. Postgres serialises the commits of every
transaction that notified (a database-wide lock taken before the commit record and held until it is flushed),
so every payment write of every process queued behind the previous one's WAL flush: on the benchmark machine
most of a checkout's or a webhook's time was spent waiting for that lock at COMMIT.

Now a connection whose session sets `payments.announces_changes = on` (the service's own pools:
infrastructure/db/engine.py) writes without notifying, and the service sends the order ids itself right after
each commit, batched, in a transaction that only notifies (infrastructure/db/read/payment_change_announcer.py):
no WAL to flush, so its turn at the lock is short. Every other connection (an operator's SQL, a script, a
restore, an older release of the service) still notifies from the trigger, as before.

SQLite has no notifications; this revision does nothing there.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNEL = "payment_changes"  # infrastructure.db.read.payment_change_feed.CHANNEL
# infrastructure.db.engine.ANNOUNCES_CHANGES; current_setting(…, true) is NULL where the session never set it
_SKIP = "IF current_setting('payments.announces_changes', true) = 'on' THEN RETURN NULL; END IF;"


def _functions(skip: str) -> tuple[str, ...]:
    return (
        f"""
CREATE OR REPLACE FUNCTION payments_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {skip}
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('{_CHANNEL}', OLD.order_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('{_CHANNEL}', NEW.order_id);  -- folded with the one above when the order is the same
    END IF;
    RETURN NULL;
END
$$
""",
        f"""
CREATE OR REPLACE FUNCTION refunds_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {skip}
    PERFORM pg_notify('{_CHANNEL}', p.order_id)
    FROM payments p
    WHERE p.id IN (
        CASE WHEN TG_OP = 'INSERT' THEN NEW.payment_id ELSE OLD.payment_id END,
        CASE WHEN TG_OP = 'DELETE' THEN OLD.payment_id ELSE NEW.payment_id END
    );
    RETURN NULL;
END
$$
""",
    )  # one statement each: asyncpg prepares what it runs, and a prepared statement holds one command


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _functions(_SKIP):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _functions(""):  # 0006's functions: every writer notifies from the trigger
        op.execute(statement)
