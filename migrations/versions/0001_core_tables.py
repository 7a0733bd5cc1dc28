"""Core tables: payments, refunds, the audit trail, the outbox and the webhook inbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types, so this migration never changes when the application's code does.
ID = sa.String(64)
STATUS = sa.String(32)
REFERENCE = sa.String(255)
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
LIVE_STATUSES = ("disputed", "partially_refunded", "processing", "refunded", "succeeded")


def upgrade() -> None:
    _payments()
    _refunds()
    _payment_events()
    _outbox()
    _webhook_events()


def downgrade() -> None:
    for table in ("webhook_events", "outbox", "payment_events", "refunds", "payments"):
        op.drop_table(table)  # drops its indexes with it


def _payments() -> None:
    op.create_table(
        "payments",
        sa.Column("id", ID, nullable=False),
        sa.Column("order_id", REFERENCE, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("provider_reference", REFERENCE, nullable=True),
        sa.Column("checkout_url", sa.Text(), nullable=True),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("return_url", sa.Text(), nullable=True),
        sa.Column("cancel_url", sa.Text(), nullable=True),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("customer_email", sa.String(320), nullable=True),
        sa.Column("customer_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
    )
    live = sa.column("status").in_(LIVE_STATUSES)
    op.create_index(
        "uq_payments_live_order", "payments", ["order_id"], unique=True, sqlite_where=live, postgresql_where=live
    )
    op.create_index("ix_payments_order_id_created_at", "payments", ["order_id", "created_at"])
    op.create_index("ix_payments_provider_reference_provider", "payments", ["provider_reference", "provider"])
    for leading in ((), ("status",), ("provider",), ("currency",)):
        name = "_".join(("ix_payments", *leading, "created_at_id"))
        op.create_index(name, "payments", [*leading, "created_at", "id"])


def _refunds() -> None:
    op.create_table(
        "refunds",
        sa.Column("id", ID, nullable=False),
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("reason", STATUS, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("provider_reference", REFERENCE, nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name="fk_refunds_payment_id_payments"),
        sa.PrimaryKeyConstraint("id", name="pk_refunds"),
    )
    op.create_index("ix_refunds_payment_id", "refunds", ["payment_id"])
    op.create_index("ix_refunds_provider_reference", "refunds", ["provider_reference"])
    op.create_index("ix_refunds_created_at_id", "refunds", ["created_at", "id"])
    op.create_index("ix_refunds_status_created_at_id", "refunds", ["status", "created_at", "id"])


def _payment_events() -> None:
    op.create_table(
        "payment_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("from_status", STATUS, nullable=True),
        sa.Column("to_status", STATUS, nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("actor", REFERENCE, nullable=True),
        sa.Column("provider_event_id", REFERENCE, nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name="fk_payment_events_payment_id_payments"),
        sa.PrimaryKeyConstraint("id", name="pk_payment_events"),
    )
    op.create_index("ix_payment_events_payment_id_at_id", "payment_events", ["payment_id", "at", "id"])


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", ID, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("aggregate_id", ID, nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])


def _webhook_events() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("event_id", REFERENCE, nullable=False),
        sa.Column("event_type", REFERENCE, nullable=False),
        sa.Column("status", sa.String(16), server_default=sa.text("'received'"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("payment_id", ID, nullable=True),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("processed_at", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
        sa.UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event_id"),
    )
    op.create_index("ix_webhook_events_status_next_attempt_at", "webhook_events", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_events_provider_received_at", "webhook_events", ["provider", "received_at"])
