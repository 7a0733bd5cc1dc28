"""Velocity by e-mail counts `Buyer@Example.com` and `buyer@example.com` as one customer.

The count compares `lower(customer_email)`, so its index is on that expression: `(lower(customer_email),
created_at)` replaces 0011's `(customer_email, created_at)`, which nothing else reads. E-mails are stored as given.

On a large live table CREATE INDEX blocks writes while it builds; create the index by hand first with
`CREATE INDEX CONCURRENTLY` and the same name if that matters.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BY_CASE = "ix_payments_customer_email_created_at"
_WITHOUT_CASE = "ix_payments_customer_email_lower_created_at"


def upgrade() -> None:
    op.create_index(_WITHOUT_CASE, "payments", [sa.text("lower(customer_email)"), "created_at"])
    op.drop_index(_BY_CASE, table_name="payments")


def downgrade() -> None:
    op.create_index(_BY_CASE, "payments", ["customer_email", "created_at"])
    op.drop_index(_WITHOUT_CASE, table_name="payments")
