"""Risk checks at checkout: the customer's IP and country, the risk decision, and the indexes the checks count on.

- `customer_ip`, `customer_country`: what the checkout said about the customer (velocity by IP, blocklists).
- `risk_decision` (`allow` | `review`; NULL when no check ran: payments from before, or no rules configured),
  `risk_score` (0-100), `risk_reasons` (JSON list of rule ids and scorer reasons). A blocked checkout has no row.
- `(customer_email, created_at)` and `(customer_ip, created_at)`: a velocity rule counts one customer's payments in
  a window at every checkout; by order it uses the existing `(order_id, created_at)`.
- `(risk_decision, created_at, id)`: `GET /transactions?risk=review`, newest first, keyset-paged like the others.

On a large live table CREATE INDEX blocks writes while it builds; create the indexes by hand first with
`CREATE INDEX CONCURRENTLY` and the same names if that matters.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_INDEXES = {
    "ix_payments_customer_email_created_at": ["customer_email", "created_at"],
    "ix_payments_customer_ip_created_at": ["customer_ip", "created_at"],
    "ix_payments_risk_decision_created_at_id": ["risk_decision", "created_at", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("customer_ip", sa.String(45), nullable=True))
        batch.add_column(sa.Column("customer_country", sa.String(2), nullable=True))
        batch.add_column(sa.Column("risk_decision", sa.String(16), nullable=True))
        batch.add_column(sa.Column("risk_score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("risk_reasons", JSON, nullable=True))
    for name, columns in _INDEXES.items():
        op.create_index(name, "payments", columns)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="payments")
    with op.batch_alter_table("payments") as batch:
        for column in ("risk_reasons", "risk_score", "risk_decision", "customer_country", "customer_ip"):
            batch.drop_column(column)
