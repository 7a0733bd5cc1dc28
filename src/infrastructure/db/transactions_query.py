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
from infrastructure.db.column_types import UtcDateTime
from infrastructure.db.tables import ID, payments, refunds

Position = tuple[datetime, str]  # the last row of the previous page

# Every value is a bind parameter named after its filter, so a statement's text depends only on which filters are
# present: the Postgres read model compiles each such shape once and binds `listing_parameters` by these names.
_FILTERS = ("status", "provider", "order_id", "currency", "created_after", "created_before")
_AFTER_CREATED_AT, _AFTER_ID, _LIMIT = "after_created_at", "after_id", "limit"
_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "created_after": UtcDateTime(),
    "created_before": UtcDateTime(),
    _AFTER_CREATED_AT: UtcDateTime(),
    _AFTER_ID: ID,
    _LIMIT: sa.Integer(),
}


def listing_parameters(filters: TransactionFilter, after: Position | None, limit: int) -> dict[str, Any]:
    """The bind values of `transactions_query`, by name; which names are present is the statement's shape."""
    values: dict[str, Any] = {}
    for name in _FILTERS:
        value = getattr(filters, name)
        if value is not None:
            values[name] = value
    if after is not None:
        values[_AFTER_CREATED_AT], values[_AFTER_ID] = after
    values[_LIMIT] = limit
    return values


def transactions_query(filters: TransactionFilter, after: Position | None, limit: int) -> sa.Select[Any]:
    """`limit` rows at most: callers ask for one more than a page to learn whether another page follows."""
    values = listing_parameters(filters, after, limit)
    branches = []
    if filters.kind in (None, "payment"):
        branches.append(_newest_first(_payment_rows().where(*_filters(payments, values)), payments, values))
    if filters.kind in (None, "refund"):
        branches.append(_newest_first(_refund_rows().where(*_filters(refunds, values)), refunds, values))
    return _newest_first_union(branches, _bound(_LIMIT, values))


def transaction_lookup(id_or_reference: str) -> sa.Select[Any]:
    """By our id or the provider's reference (a Stripe refund reference also starts with `re_`)."""
    one = {_LIMIT: 1}
    matches = [
        _newest_first(_payment_rows().where(_id_or_reference(payments, id_or_reference)), payments, one),
        _newest_first(_refund_rows().where(_id_or_reference(refunds, id_or_reference)), refunds, one),
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
        refunds.c.provider,
        refunds.c.provider_reference,
        refunds.c.amount,
        refunds.c.currency,
        refunds.c.status,
        refunds.c.created_at,
        refunds.c.updated_at,
    ).join_from(refunds, payments, refunds.c.payment_id == payments.c.id)


def _filters(table: sa.Table, values: dict[str, Any]) -> list[sa.ColumnElement[bool]]:
    """`created_after` is inclusive and `created_before` exclusive, so adjacent windows never overlap.

    Each branch filters on its own columns (refunds carry their payment's provider, 0005), so each can walk its
    own `(filter, created_at, id)` index; only `order_id` is the payment's.
    """
    own = table.c
    conditions: list[sa.ColumnElement[bool]] = []
    for name in ("status", "provider", "currency"):
        if name in values:
            conditions.append(own[name] == _bound(name, values))
    if "order_id" in values:
        conditions.append(payments.c.order_id == _bound("order_id", values))
    if "created_after" in values:
        conditions.append(own.created_at >= _bound("created_after", values))
    if "created_before" in values:
        conditions.append(own.created_at < _bound("created_before", values))
    if _AFTER_ID in values:
        # one row-value comparison, `(created_at, id) < (…, …)`, which the (…, created_at, id) indexes answer
        position = sa.tuple_(_bound(_AFTER_CREATED_AT, values), _bound(_AFTER_ID, values))
        conditions.append(sa.tuple_(own.created_at, own.id) < position)
    return conditions


def _bound(name: str, values: dict[str, Any]) -> sa.BindParameter[Any]:
    # The limit is written into the SQL text (so it is part of the shape): a prepared statement's generic plan
    # with `LIMIT $n` assumes a large result and picks parallel sorts, ~8 ms instead of ~0.3 ms (EXPLAIN ANALYZE).
    return sa.bindparam(name, values[name], type_=_TYPES.get(name), literal_execute=name == _LIMIT)


def _newest_first(branch: sa.Select[Any], table: sa.Table, values: dict[str, Any]) -> sa.Select[Any]:
    # wrapped in a subquery: SQLite refuses ORDER BY / LIMIT on the members of a compound SELECT
    ordered = branch.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(_bound(_LIMIT, values)).subquery()
    return sa.select(ordered)


def _newest_first_union(branches: list[sa.Select[Any]], limit: int | sa.BindParameter[Any]) -> sa.Select[Any]:
    union = sa.union_all(*branches).subquery("movements")
    return sa.select(union).order_by(union.c.created_at.desc(), union.c.id.desc()).limit(limit)
