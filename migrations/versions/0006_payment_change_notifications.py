"""Postgres: notify `payment_changes` with the order id whenever a payment or one of its refunds changes.

The API's payment-status cache (src/infrastructure/db/read/status_cache.py) trusts what it holds only because every
commit that could change an order's status tells it so: these triggers send the order id on the channel the
feed listens to (src/infrastructure/db/read/payment_change_feed.py). A trigger, rather than a NOTIFY issued by the
repositories, so that no writer can forget it: the API, the worker, replays, the janitor and hand-written SQL
alike. Notifications are delivered at commit, never for a rolled-back transaction, and identical ones within
one transaction are folded into one.

SQLite has no notifications; the cache is never enabled there, so this revision does nothing on SQLite.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNEL = "payment_changes"  # infrastructure.db.read.payment_change_feed.CHANNEL

_FUNCTIONS = (
    f"""
CREATE OR REPLACE FUNCTION payments_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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

_TRIGGERS = (
    "CREATE TRIGGER payments_notify_change AFTER INSERT OR UPDATE OR DELETE ON payments "
    "FOR EACH ROW EXECUTE FUNCTION payments_notify_change()",
    "CREATE TRIGGER refunds_notify_change AFTER INSERT OR UPDATE OR DELETE ON refunds "
    "FOR EACH ROW EXECUTE FUNCTION refunds_notify_change()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in (*_FUNCTIONS, *_TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS refunds_notify_change ON refunds")
    op.execute("DROP TRIGGER IF EXISTS payments_notify_change ON payments")
    op.execute("DROP FUNCTION IF EXISTS refunds_notify_change()")
    op.execute("DROP FUNCTION IF EXISTS payments_notify_change()")
