"""Authorize now, capture later: a payment's capture mode, what a capture took or asks for, and paid after cancel.

- `capture_mode` (`automatic` | `manual`); `amount_captured` (what was taken; NULL on rows from before, which
  took their whole amount); `capture_requested` (a capture asked of the provider and not yet confirmed);
  `paid_after_cancel` (the provider took the money after we had cancelled or expired the payment).
- The one-live-payment-per-order index counts `authorized` as live (an order whose funds are held must not start
  another checkout) and leaves out a payment paid after its cancellation: the money really moved, so it must
  become `succeeded` even when the order has started a new checkout since (reconciliation lists it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "uq_payments_live_order"
_LIVE_BEFORE = ("disputed", "partially_refunded", "processing", "refunded", "succeeded")
_LIVE_NOW = ("authorized", "disputed", "partially_refunded", "processing", "refunded", "succeeded")


def _live_order_index(statuses: tuple[str, ...], *, counting_late_payments: bool) -> None:
    live = sa.column("status").in_(statuses)
    if not counting_late_payments:
        live = sa.and_(live, sa.column("paid_after_cancel") == sa.false())
    op.create_index(_INDEX, "payments", ["order_id"], unique=True, sqlite_where=live, postgresql_where=live)


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(
            sa.Column("capture_mode", sa.String(16), nullable=False, server_default=sa.text("'automatic'"))
        )
        batch.add_column(sa.Column("amount_captured", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("capture_requested", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("paid_after_cancel", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.drop_index(_INDEX, table_name="payments")
    _live_order_index(_LIVE_NOW, counting_late_payments=False)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="payments")
    _live_order_index(_LIVE_BEFORE, counting_late_payments=True)
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("paid_after_cancel")
        batch.drop_column("capture_requested")
        batch.drop_column("amount_captured")
        batch.drop_column("capture_mode")
