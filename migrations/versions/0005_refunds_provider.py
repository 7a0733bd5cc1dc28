"""`refunds.provider`: the payment's provider, copied onto each refund, with `(provider, created_at, id)`.

The transactions listing filtered by provider had to join every refund to its payment to learn the provider:
Postgres walked refunds newest first checking each payment (9-47 ms a page on 1,000,000 payments, bench/).
A payment's provider never changes, so the copy cannot go stale; the repositories write it with the refund.

Existing rows are backfilled from their payment before the column becomes NOT NULL. On a large live table
the UPDATE rewrites every refund and CREATE INDEX blocks writes while it builds; create the index by hand first
with `CREATE INDEX CONCURRENTLY` and the same name if that matters (IF NOT EXISTS on Postgres finds it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_refunds_provider_created_at_id"

# Postgres joins once (hash join); SQLite gets the portable correlated form, answered by the payments primary key.
_BACKFILL = {
    "postgresql": "UPDATE refunds SET provider = p.provider FROM payments p WHERE p.id = refunds.payment_id",
    "sqlite": "UPDATE refunds SET provider = (SELECT p.provider FROM payments p WHERE p.id = refunds.payment_id)",
}


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("provider", sa.String(32), nullable=True))
    op.execute(_BACKFILL[op.get_bind().dialect.name])
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column("provider", existing_type=sa.String(32), nullable=False)
    op.create_index(_INDEX, "refunds", ["provider", "created_at", "id"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="refunds")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("provider")
