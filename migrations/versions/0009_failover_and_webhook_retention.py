"""Failover and data hygiene: the providers a checkout tried, and when a webhook's raw body was purged.

- `payments.providers_tried` (JSON list, in order): every provider asked for the checkout; NULL on older rows,
  which only ever tried their `provider`.
- `webhook_events.body_purged_at`: when the retention job dropped the raw body and headers (the row stays: id,
  provider, type, outcome, timestamps); indexed by `received_at` so the job finds what has aged out cheaply.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("providers_tried", JSON, nullable=True))
    with op.batch_alter_table("webhook_events") as batch:
        batch.add_column(sa.Column("body_purged_at", TIMESTAMP, nullable=True))
    op.create_index("ix_webhook_events_received_at", "webhook_events", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_received_at", table_name="webhook_events")
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_column("body_purged_at")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("providers_tried")
