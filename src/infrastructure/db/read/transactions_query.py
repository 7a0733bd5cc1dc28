"""Payments and refunds as one list of money movements, newest first by (created_at, id).

A UNION ALL of two branches. Every filter and the keyset position are pushed into each branch and each branch
is ordered and limited on its own, so either side reads at most `limit + 1` rows from its (…, created_at, id)
index whatever the page depth. Ids are unique across both tables (`pay_…` / `re_…`), so the order is total.

A branch filtered on the columns that lead one of its indexes (a status, a provider, a currency, a provider and
currency, a risk decision) names them in its ORDER BY too, and on Postgres compares them as `= ANY(ARRAY[…])`
(`leading_equal`): the same rows, but Postgres no longer treats the column as a constant it may drop from the
order, so only that index gives the order without a sort. Otherwise, for a common status, it may walk
`created_at`'s index newest first and filter each row, reading every newer payment without that status first:
the open checkouts of an outage or a sale, 15,808 rows for one page in bench/ (p99 144 ms).

Every filter value is a bind parameter named after its filter, so a statement depends only on its *shape*: which
filters are present, whether a position is, and the limit. One statement is built per shape and kept, so the
seam compiles each shape once (building and compiling the UNION cost more CPU than Postgres spent answering it).
The limit is written into the text (`literal_execute`): a prepared statement's generic plan for `LIMIT $n`
assumes a large result and picks parallel sorts, ~8 ms instead of ~0.3 ms (EXPLAIN ANALYZE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from application.views import TransactionFilter, TransactionKind, TransactionView
from infrastructure.db.read.cursor import Position, after_values, before
from infrastructure.db.tables import payments, refunds

_FILTERS = ("status", "provider", "order_id", "currency", "created_after", "created_before", "risk")
# Filters with few values are written into the statement's text, one statement per value: after five runs Postgres
# plans a prepared statement once for any value (its generic plan), and for status+provider+window that plan took
# 15-22 ms where a plan for the values asked took 1 ms (EXPLAIN ANALYZE, 200,000 payments). The values are our
# own enums and an ISO code checked by the API, rendered by SQLAlchemy as quoted literals.
_IN_TEXT = ("status", "provider", "currency", "risk")
_SHAPES = 256  # clients that vary the page size could otherwise grow the cache forever
TRANSACTION_FIELDS = tuple(field.name for field in fields(TransactionView))  # the selected columns, in order


class Query(NamedTuple):
    statement: sa.Select[Any]
    values: dict[str, Any]  # by bind parameter name


Shape = tuple[TransactionKind | None, tuple[str, ...], tuple[tuple[str, str], ...], int]
_LISTINGS: dict[Shape, sa.Select[Any]] = {}


def transactions_query(filters: TransactionFilter, after: Position | None, limit: int) -> Query:
    """`limit` rows at most: callers ask for one more than a page to learn whether another page follows."""
    values = {name: value for name in _FILTERS if (value := getattr(filters, name)) is not None}
    if after is not None:
        values.update(after_values(after))
    in_text = {name: str(values.pop(name)) for name in _IN_TEXT if name in values}
    shape = (filters.kind, tuple(values), tuple(in_text.items()), limit)
    statement = _LISTINGS.get(shape)
    if statement is None:
        if len(_LISTINGS) >= _SHAPES:
            _LISTINGS.clear()
        statement = _LISTINGS[shape] = _listing(filters.kind, frozenset(values) | frozenset(in_text), in_text, limit)
    return Query(statement, values)


def transaction_lookup(id_or_reference: str) -> Query:
    """By our id or the provider's reference (a Stripe refund reference also starts with `re_`)."""
    return Query(_LOOKUP, {"reference": id_or_reference})


def _listing(
    kind: TransactionKind | None, present: frozenset[str], in_text: dict[str, str], limit: int
) -> sa.Select[Any]:
    page = _limit(limit)
    branches = []
    if kind in (None, "payment"):
        leading = _leading(payments, in_text)
        rows = _payment_rows().where(*_filters(payments, present, in_text, leading))
        branches.append(_newest_first(rows, payments, page, leading))
    if kind in (None, "refund") and "risk" not in present:  # a risk decision is a payment's: no refund has one
        leading = _leading(refunds, in_text)
        rows = _refund_rows().where(*_filters(refunds, present, in_text, leading))
        branches.append(_newest_first(rows, refunds, page, leading))
    if not branches:  # refunds with a risk decision: there are none
        branches.append(_newest_first(_payment_rows().where(sa.false()), payments, page))
    statement = _newest_first_union(branches, page)
    if tuple(statement.selected_columns.keys()) != TRANSACTION_FIELDS:  # views are built positionally
        raise AssertionError(f"listing columns {statement.selected_columns.keys()} are not {TRANSACTION_FIELDS}")
    return statement


def _limit(rows: int) -> sa.BindParameter[int]:
    return sa.bindparam("limit", rows, type_=sa.Integer, literal_execute=True)


def _id_or_reference(table: sa.Table) -> sa.ColumnElement[bool]:
    reference = sa.bindparam("reference", type_=table.c.id.type)
    return sa.or_(table.c.id == reference, table.c.provider_reference == reference)


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
        payments.c.risk_decision.label("risk"),
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
        sa.null().label("risk"),
    ).join_from(refunds, payments, refunds.c.payment_id == payments.c.id)


_COLUMN_OF = {"status": "status", "provider": "provider", "currency": "currency", "risk": "risk_decision"}
# each table's indexes ending in (created_at, id), by the columns before them
_LEADING_INDEXES = {
    table.name: {
        tuple(column.name for column in index.columns)[:-2]
        for index in table.indexes
        if tuple(column.name for column in index.columns)[-2:] == ("created_at", "id")
    }
    for table in (payments, refunds)
}


def _leading(table: sa.Table, in_text: dict[str, str]) -> tuple[str, ...]:
    """The filtered columns an index of `table` leads with, before (created_at, id); () when none does."""
    names = {_COLUMN_OF[name] for name in in_text if _COLUMN_OF[name] in table.c}
    return next((lead for lead in _LEADING_INDEXES[table.name] if lead and set(lead) == names), ())


def _filters(
    table: sa.Table, present: frozenset[str], in_text: dict[str, str], leading: tuple[str, ...]
) -> list[sa.ColumnElement[bool]]:
    """`created_after` is inclusive and `created_before` exclusive, so adjacent windows never overlap.

    Each branch filters on its own columns (refunds carry their payment's provider, 0005), so each can walk its
    own `(filter, created_at, id)` index; only `order_id` is the payment's. The `leading` columns are compared
    through `leading_equal` (see the module's docstring).
    """
    own = table.c

    def value(name: str) -> sa.BindParameter[Any]:
        return sa.bindparam(name, in_text[name], literal_execute=True) if name in in_text else sa.bindparam(name)

    def equal(name: str) -> sa.ColumnElement[bool]:
        column = own[_COLUMN_OF[name]]
        return leading_equal(column, value(name)) if column.name in leading else column == value(name)

    conditions = [equal(name) for name in ("status", "provider", "currency") if name in present]
    if "order_id" in present:
        conditions.append(payments.c.order_id == sa.bindparam("order_id"))
    if "risk" in present:  # only ever on the payments branch (see _listing)
        conditions.append(equal("risk"))
    if "created_after" in present:
        conditions.append(own.created_at >= sa.bindparam("created_after"))
    if "created_before" in present:
        conditions.append(own.created_at < sa.bindparam("created_before"))
    if "after_at" in present:
        conditions.append(before(own.created_at, own.id))  # one row-value comparison the indexes answer
    return conditions


def _newest_first(
    branch: sa.Select[Any], table: sa.Table, limit: sa.BindParameter[int], leading: Sequence[str] = ()
) -> sa.Select[Any]:
    # wrapped in a subquery: SQLite refuses ORDER BY / LIMIT on the members of a compound SELECT
    order = (*(table.c[name].desc() for name in leading), table.c.created_at.desc(), table.c.id.desc())
    return sa.select(branch.order_by(*order).limit(limit).subquery())


class leading_equal(sa.sql.expression.ColumnElement[bool]):
    """`column = value`; on Postgres written `column = ANY(ARRAY[value])`, which the planner does not fold into a
    constant, so an ORDER BY naming the column keeps it (see the module's docstring)."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, column: sa.ColumnElement[Any], value: sa.ColumnElement[Any]) -> None:
        self.column, self.value = column, value


@compiles(leading_equal)
def _leading_equal(element: leading_equal, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = {compiler.process(element.value, **kw)}"


@compiles(leading_equal, "postgresql")
def _leading_equal_postgres(element: leading_equal, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY[{compiler.process(element.value, **kw)}])"


def _newest_first_union(branches: list[sa.Select[Any]], limit: sa.BindParameter[int]) -> sa.Select[Any]:
    union = sa.union_all(*branches).subquery("movements")
    return sa.select(union).order_by(union.c.created_at.desc(), union.c.id.desc()).limit(limit)


_LOOKUP = _newest_first_union(
    [
        _newest_first(_payment_rows().where(_id_or_reference(payments)), payments, _limit(1)),
        _newest_first(_refund_rows().where(_id_or_reference(refunds)), refunds, _limit(1)),
    ],
    _limit(1),
)
