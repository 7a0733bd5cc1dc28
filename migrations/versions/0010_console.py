"""Admin console: server-side sessions, and when each stored API key was last used.

- `admin_sessions`: one row per signed-in console session, keyed by the SHA-256 of the cookie's token (the token
  itself is never stored), with the key's name, digest and scopes, the session's CSRF token and when it was last
  seen (8 hours idle ends it).
- indexes on `webhook_events(payment_id, received_at)` and `notifications(payment_id, created_at)`: the
  console's payment page lists both for one payment.
- `api_keys.last_used_at`: shown on the console's API keys page; written at most once a minute per key.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("key_name", sa.String(255), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_admin_sessions"),
    )
    op.create_index("ix_admin_sessions_last_seen_at", "admin_sessions", ["last_seen_at"])
    op.create_index("ix_webhook_events_payment_id_received_at", "webhook_events", ["payment_id", "received_at"])
    op.create_index("ix_notifications_payment_id_created_at", "notifications", ["payment_id", "created_at"])
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("last_used_at", TIMESTAMP, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
    op.drop_index("ix_notifications_payment_id_created_at", table_name="notifications")
    op.drop_index("ix_webhook_events_payment_id_received_at", table_name="webhook_events")
    op.drop_index("ix_admin_sessions_last_seen_at", table_name="admin_sessions")
    op.drop_table("admin_sessions")
