"""Indexes for the transactions listing's filter combinations that the single-column ones cannot serve.

Every documented filter alone already has a `(filter, created_at, id)` index (0001), walked newest first and
stopped after one page. Two cases walked far instead, measured on 1,000,000 payments (bench/):
- `provider` + `currency`: a provider that never carries the currency (PayPal and NGN) walked the provider's
  whole index for an empty page (about a second); `(provider, currency, created_at, id)` answers it at once.
- refunds by `currency`: the refund branch walked every refund newest first; `(currency, created_at, id)` on
  refunds is the counterpart of the payments' one.
tests/integration/db/test_transactions_plans.py proves the plans (no sequential scan of payments).

Plain CREATE INDEX (inside the migration's transaction) blocks writes to the table while it builds: seconds
for a million rows. On a much larger live table, create the same indexes by hand first with
`CREATE INDEX CONCURRENTLY` and the same names; this migration then finds them (IF NOT EXISTS on Postgres).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_payments_provider_currency_created_at_id", "payments", ["provider", "currency", "created_at", "id"]),
    ("ix_refunds_currency_created_at_id", "refunds", ["currency", "created_at", "id"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns, if_not_exists=True)


def downgrade() -> None:
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
