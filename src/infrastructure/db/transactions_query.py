"""Payments and refunds as one list of money movements, newest first by (created_at, id).

A UNION ALL of two branches. Every filter and the keyset position are pushed into each branch and each branch
is ordered and limited on its own, so either side reads at most `limit + 1` rows from its (…, created_at, id)
index whatever the page depth. Ids are unique across both tables (`pay_…` / `re_…`), so the order is total.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from application.views import TransactionFilter
from infrastructure.db.cursor import before
from infrastructure.db.tables import payments, refunds

Position = tuple[datetime, str]  # the last row of the previous page


def transactions_query(filters: TransactionFilter, after: Position | None, limit: int) -> sa.Select[Any]:
    """`limit` rows at most: callers ask for one more than a page to learn whether another page follows."""
    branches = []
    if filters.kind in (None, "payment"):
        branches.append(_newest_first(_payment_rows().where(*_payment_filters(filters, after)), payments, limit))
    if filters.kind in (None, "refund"):
        branches.append(_newest_first(_refund_rows().where(*_refund_filters(filters, after)), refunds, limit))
    return _newest_first_union(branches, limit)


def transaction_lookup(id_or_reference: str) -> sa.Select[Any]:
    """By our id or the provider's reference (a Stripe refund reference also starts with `re_`)."""
    matches = [
        _newest_first(_payment_rows().where(_id_or_reference(payments, id_or_reference)), payments, 1),
        _newest_first(_refund_rows().where(_id_or_reference(refunds, id_or_reference)), refunds, 1),
    ]
    return _newest_first_union(matches, 1)


def _id_or_reference(table: sa.Table, value: str) -> sa.ColumnElement[bool]:
    return sa.or_(table.c.id == value, table.c.provider_reference == value)


def _payment_rows() -> sa.Select[Any]:
    return sa.select(
        payments.c.id,
        sa.literal_column("'payment'", sa.String).label("kind"),
        payments.c.id.label("payment_id"),
        payments.c.order_id,
        payments.c.provider,
        payments.c.provider_reference,
        payments.c.amount,
        payments.c.currency,
        payments.c.status,
        payments.c.created_at,
        payments.c.updated_at,
    )


def _refund_rows() -> sa.Select[Any]:
    return sa.select(
        refunds.c.id,
        sa.literal_column("'refund'", sa.String).label("kind"),
        refunds.c.payment_id,
        payments.c.order_id,
        payments.c.provider,
        refunds.c.provider_reference,
        refunds.c.amount,
        refunds.c.currency,
        refunds.c.status,
        refunds.c.created_at,
        refunds.c.updated_at,
    ).join_from(refunds, payments, refunds.c.payment_id == payments.c.id)


def _payment_filters(f: TransactionFilter, after: Position | None) -> list[sa.ColumnElement[bool]]:
    own = payments.c
    return _filters(f, after, status=own.status, currency=own.currency, created_at=own.created_at, row_id=own.id)


def _refund_filters(f: TransactionFilter, after: Position | None) -> list[sa.ColumnElement[bool]]:
    own = refunds.c
    return _filters(f, after, status=own.status, currency=own.currency, created_at=own.created_at, row_id=own.id)


def _filters(
    f: TransactionFilter,
    after: Position | None,
    *,
    status: sa.ColumnElement[Any],
    currency: sa.ColumnElement[Any],
    created_at: sa.ColumnElement[Any],
    row_id: sa.ColumnElement[Any],
) -> list[sa.ColumnElement[bool]]:
    """`created_after` is inclusive and `created_before` exclusive, so adjacent windows never overlap."""
    conditions: list[sa.ColumnElement[bool]] = []
    if f.status is not None:
        conditions.append(status == f.status)
    if f.currency is not None:
        conditions.append(currency == f.currency)
    if f.provider is not None:
        conditions.append(payments.c.provider == f.provider)
    if f.order_id is not None:
        conditions.append(payments.c.order_id == f.order_id)
    if f.created_after is not None:
        conditions.append(created_at >= f.created_after)
    if f.created_before is not None:
        conditions.append(created_at < f.created_before)
    if after is not None:
        conditions.append(before(created_at, row_id, after))
    return conditions


def _newest_first(branch: sa.Select[Any], table: sa.Table, limit: int) -> sa.Select[Any]:
    # wrapped in a subquery: SQLite refuses ORDER BY / LIMIT on the members of a compound SELECT
    ordered = branch.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit).subquery()
    return sa.select(ordered)


def _newest_first_union(branches: list[sa.Select[Any]], limit: int) -> sa.Select[Any]:
    union = sa.union_all(*branches).subquery("movements")
    return sa.select(union).order_by(union.c.created_at.desc(), union.c.id.desc()).limit(limit)
