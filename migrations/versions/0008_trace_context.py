"""The trace context carried across the outbox: `outbox.trace_context` and `notifications.trace_context`.

The W3C `traceparent` of the transaction that wrote an outbox row, and of the relay that made a notification
from it, so the worker continues the request's trace (infrastructure/tracing). NULL when tracing is off, and on
rows from before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("outbox", "notifications")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("trace_context", sa.String(128), nullable=True))


def downgrade() -> None:
    for table in reversed(_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("trace_context")
