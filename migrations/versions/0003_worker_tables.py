"""What the worker needs: leases on outbox and inbox rows, order-callback notifications with every delivery
attempt, and the janitor's check schedule on payments and refunds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(64)
TIMESTAMP = sa.DateTime(timezone=True)
_LEASED = ("outbox", "webhook_events")
_SCHEDULED = ("payments", "refunds")


def upgrade() -> None:
    for table in _LEASED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
            batch.add_column(sa.Column("claimed_until", TIMESTAMP, nullable=True))
    for table in _SCHEDULED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("checks", sa.Integer, nullable=False, server_default=sa.text("0")))
            batch.add_column(sa.Column("next_check_at", TIMESTAMP, nullable=True))
        op.create_index(f"ix_{table}_status_next_check_at", table, ["status", "next_check_at"])
    op.create_table(
        "notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("event_id", "url", name="uq_notifications_event_id_url"),
    )
    op.create_index("ix_notifications_status_next_attempt_at", "notifications", ["status", "next_attempt_at"])
    op.create_index("ix_notifications_created_at_id", "notifications", ["created_at", "id"])
    op.create_table(
        "notification_attempts",
        sa.Column("id", ID, nullable=False),
        sa.Column("notification_id", ID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("worker", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notification_attempts"),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notifications.id"], name="fk_notification_attempts_notification_id_notifications"
        ),
    )
    op.create_index("ix_notification_attempts_notification_id_at", "notification_attempts", ["notification_id", "at"])


def downgrade() -> None:
    op.drop_table("notification_attempts")
    op.drop_table("notifications")
    for table in reversed(_SCHEDULED):
        op.drop_index(f"ix_{table}_status_next_check_at", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("next_check_at")
            batch.drop_column("checks")
    for table in reversed(_LEASED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claimed_until")
            batch.drop_column("claimed_by")
