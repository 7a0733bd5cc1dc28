"""The transactions listing is answered from indexes, for every documented filter, on a realistically sized table.

The SQL is compiled by the seam from the real query builder (`transactions_query`, `transaction_lookup`), as the
read model runs it, and explained by Postgres over 100,000 payments and their refunds (generated in SQL, then
ANALYZEd), on the first page and on the page after it (a real keyset position). A sequential scan of `payments`
fails the test: it is the plan that turns a 20 ms page into a second on a production table. The read model runs
the listing as a prepared statement, which Postgres may answer with a generic plan (made without the values), so
each filter's generic plan is checked too. Speed itself is measured by bench/, not here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql

from application.views import TransactionFilter
from infrastructure.db.engine import create_engine
from infrastructure.db.read.cursor import Position
from infrastructure.db.read.transactions_query import Query, transaction_lookup, transactions_query
from infrastructure.db.sql.compiled import compile_statement
from tests.integration.db.seeded_database import seeded_database

pytestmark = pytest.mark.postgres

PAYMENTS = 100_000
NOW = datetime.now(UTC).replace(microsecond=0)

# Provider → currencies it carries; statuses with their shares (as in bench/seed.py, scaled down).
_SEED_PAYMENTS = """
INSERT INTO payments (id, order_id, amount, currency, provider, status, provider_reference, metadata,
                      created_at, updated_at, version)
SELECT 'pay_' || to_char(created AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || lpad(g::text, 7, '0'),
       'ord-' || g, 100 + (random() * 50000)::int, currency, provider, status,
       'ref_' || g, '{}'::jsonb, created, created, 1
FROM (
  SELECT g, created, provider,
         CASE provider
           WHEN 'stripe' THEN (ARRAY['USD','USD','EUR','GBP'])[1 + (random() * 3)::int]
           WHEN 'paystack' THEN (ARRAY['NGN','NGN','GHS','KES'])[1 + (random() * 3)::int]
           WHEN 'flutterwave' THEN (ARRAY['NGN','KES','GHS','UGX'])[1 + (random() * 3)::int]
           WHEN 'paypal' THEN (ARRAY['USD','EUR','GBP','USD'])[1 + (random() * 3)::int]
           ELSE 'USD' END AS currency,
         CASE WHEN s < 0.785 THEN 'succeeded' WHEN s < 0.855 THEN 'failed' WHEN s < 0.915 THEN 'expired'
              WHEN s < 0.945 THEN 'refunded' WHEN s < 0.975 THEN 'partially_refunded'
              WHEN s < 0.985 THEN 'cancelled' WHEN s < 0.995 THEN 'processing' ELSE 'disputed' END AS status
  FROM (
    SELECT g, s,
           $1::timestamptz - interval '365 days' * (1 - sqrt(random())) AS created,
           CASE WHEN p < 0.45 THEN 'stripe' WHEN p < 0.65 THEN 'paystack' WHEN p < 0.80 THEN 'flutterwave'
                WHEN p < 0.95 THEN 'paypal' ELSE 'simulator' END AS provider
    FROM (SELECT g, random() AS p, random() AS s FROM generate_series(1, $2::int) AS g) AS draws
  ) AS base
) AS rows
"""
_SEED_REFUNDS = """
INSERT INTO refunds (id, payment_id, provider, amount, currency, status, reason, provider_reference, created_at,
                     updated_at)
SELECT 're_' || substr(id, 5), id, provider, amount, currency, 'succeeded', 'requested_by_customer', 'ref_re_' || id,
       created_at + interval '2 hours', created_at + interval '2 hours'
FROM payments WHERE status IN ('refunded', 'partially_refunded')
"""

# Checkouts open at once, newer than every other payment (a provider outage, a sale): a filter on a common value
# must not walk the newest payments looking for its own
OPEN_CHECKOUTS = 15_000
_SEED_OPEN_CHECKOUTS = """
INSERT INTO payments (id, order_id, amount, currency, provider, status, metadata, created_at, updated_at, version)
SELECT 'pay_open' || lpad(g::text, 7, '0'), 'ord-open-' || g, 1000, 'USD', 'stripe', 'processing', '{}'::jsonb,
       $1::timestamptz + interval '1 second' * g, $1::timestamptz + interval '1 second' * g, 1
FROM generate_series(1, $2::int) AS g
"""

_DAY = timedelta(days=1)
FILTERS: dict[str, TransactionFilter] = {
    "no filter": TransactionFilter(),
    "status": TransactionFilter(status="succeeded"),
    "rare status": TransactionFilter(status="disputed"),
    "refund-only status": TransactionFilter(status="pending"),
    "provider": TransactionFilter(provider="stripe"),
    "rare provider": TransactionFilter(provider="simulator"),
    "kind payment": TransactionFilter(kind="payment"),
    "kind refund": TransactionFilter(kind="refund"),
    "order_id": TransactionFilter(order_id="ord-4242"),
    "currency": TransactionFilter(currency="USD"),
    "rare currency": TransactionFilter(currency="UGX"),
    "created_after": TransactionFilter(created_after=NOW - 30 * _DAY),
    "created_before": TransactionFilter(created_before=NOW - 300 * _DAY),
    "created window": TransactionFilter(created_after=NOW - 41 * _DAY, created_before=NOW - 40 * _DAY),
    "provider + currency carried": TransactionFilter(provider="paystack", currency="NGN"),
    "provider + currency never carried": TransactionFilter(provider="paypal", currency="NGN"),
    "status + provider": TransactionFilter(status="refunded", provider="paypal"),
    "status + window": TransactionFilter(
        status="failed", created_after=NOW - 200 * _DAY, created_before=NOW - 100 * _DAY
    ),
    "risk review": TransactionFilter(risk="review"),
    "risk review + window": TransactionFilter(risk="review", created_after=NOW - 30 * _DAY),
    "refunds of a provider": TransactionFilter(kind="refund", provider="flutterwave"),
    "refunds in a currency": TransactionFilter(kind="refund", currency="GHS"),
    "everything": TransactionFilter(
        status="succeeded",
        provider="stripe",
        kind="payment",
        currency="EUR",
        created_after=NOW - 90 * _DAY,
        created_before=NOW - 10 * _DAY,
    ),
}
PAGE = 50


@pytest.fixture(scope="module")
def planned_database(postgres_session_url: str) -> Iterator[str]:
    seed = [
        ("SELECT setseed(0.42)", ()),
        (_SEED_PAYMENTS, (NOW, PAYMENTS)),
        (_SEED_REFUNDS, ()),
        (_SEED_OPEN_CHECKOUTS, (NOW, OPEN_CHECKOUTS)),
    ]
    with seeded_database(seed) as url:
        yield url


@pytest.mark.parametrize("name", list(FILTERS))
async def test_every_filter_pages_through_indexes(planned_database: str, name: str) -> None:
    engine = create_engine(planned_database)
    try:
        async with engine.connect() as connection:
            first = transactions_query(FILTERS[name], None, PAGE + 1)
            next_page = transactions_query(FILTERS[name], await _last_of_page(connection, first), PAGE + 1)
            plans = {"first page": await _plan(connection, first), "next page": await _plan(connection, next_page)}
    finally:
        await engine.dispose()

    for page, plan in plans.items():
        assert _payment_seq_scans(plan) == [], f"{name}, {page}: sequential scan of payments\n{_outline(plan)}"


@pytest.mark.parametrize("name", list(FILTERS))
async def test_every_filter_has_a_generic_plan_that_pages_through_indexes(planned_database: str, name: str) -> None:
    """No sequential scan, and planned for one page: with `LIMIT $n` a generic plan guesses a large result and, on
    1,000,000 payments, gathered from parallel workers (~8 ms instead of ~0.3 ms); the limit is written in."""
    engine = create_engine(planned_database)
    try:
        async with engine.connect() as connection:
            first = transactions_query(FILTERS[name], None, PAGE + 1)
            next_page = transactions_query(FILTERS[name], await _last_of_page(connection, first), PAGE + 1)
            plans = {
                "first page": await _plan(connection, first, generic=True),
                "next page": await _plan(connection, next_page, generic=True),
            }
    finally:
        await engine.dispose()

    for page, plan in plans.items():
        assert _payment_seq_scans(plan) == [], f"{name}, {page}: sequential scan of payments\n{_outline(plan)}"
        assert plan["Plan Rows"] <= PAGE + 1, f"{name}, {page}: planned for more than a page\n{_outline(plan)}"
        parallel = [node["Node Type"] for node in _nodes(plan) if node["Node Type"].startswith("Gather")]
        assert parallel == [], f"{name}, {page}: parallel workers for one page\n{_outline(plan)}"


@pytest.mark.parametrize("generic", [False, True], ids=["custom plan", "generic plan"])
async def test_refunds_of_a_provider_walk_their_own_provider_index(planned_database: str, generic: bool) -> None:
    """Refunds carry their payment's provider (0005): without it Postgres walked refunds newest first and looked
    up each one's payment to check the provider (9-47 ms a page on 1,000,000 payments)."""
    engine = create_engine(planned_database)
    try:
        async with engine.connect() as connection:
            plans = [
                await _plan(connection, transactions_query(filters, None, PAGE + 1), generic=generic)
                for filters in (FILTERS["refunds of a provider"], FILTERS["rare provider"])
            ]
    finally:
        await engine.dispose()

    for plan in plans:
        refund_scans = [node for node in _nodes(plan) if node.get("Relation Name") == "refunds"]
        assert [node.get("Index Name") for node in refund_scans] == ["ix_refunds_provider_created_at_id"], _outline(
            plan
        )
        assert "provider" in refund_scans[0].get("Index Cond", ""), _outline(plan)


COMMON: dict[str, tuple[TransactionFilter, str]] = {
    "status": (TransactionFilter(status="succeeded"), "ix_payments_status_created_at_id"),
    "another status": (TransactionFilter(status="failed"), "ix_payments_status_created_at_id"),
    "provider": (TransactionFilter(provider="paypal"), "ix_payments_provider_created_at_id"),
    "currency": (TransactionFilter(currency="EUR"), "ix_payments_currency_created_at_id"),
    "provider + currency": (
        TransactionFilter(provider="paystack", currency="NGN"),
        "ix_payments_provider_currency_created_at_id",
    ),
}


@pytest.mark.parametrize("generic", [False, True], ids=["custom plan", "generic plan"])
@pytest.mark.parametrize("name", list(COMMON))
async def test_a_common_value_walks_its_own_index_past_many_newer_open_checkouts(
    planned_database: str, name: str, generic: bool
) -> None:
    """Postgres's statistics say a value is common, not that the newest payments lack it: walking `created_at`'s
    index newest first and filtering on the value would read every open checkout before the first row of the page
    (bench/: 15,808 rows for one page of `succeeded`, p99 144 ms). The filter's own index reads none of them."""
    filters, index = COMMON[name]
    engine = create_engine(planned_database)
    try:
        async with engine.connect() as connection:
            first = transactions_query(filters, None, PAGE + 1)
            next_page = transactions_query(filters, await _last_of_page(connection, first), PAGE + 1)
            plans = [await _plan(connection, query, generic=generic) for query in (first, next_page)]
    finally:
        await engine.dispose()

    for plan in plans:
        used = {node.get("Index Name") for node in _nodes(plan) if node.get("Relation Name") == "payments"}
        assert index in used, _outline(plan)
        assert "ix_payments_created_at_id" not in used, _outline(plan)  # (pk_payments: the refunds' own payments)
        sorted_payments = [node for node in _nodes(plan) if node["Node Type"] == "Sort" and node is not plan]
        assert all(node.get("Plan Rows", 0) <= 2 * (PAGE + 1) for node in sorted_payments), _outline(plan)


async def test_provider_and_currency_together_use_their_own_index(planned_database: str) -> None:
    """Without it a provider that never carries the currency walks the provider's whole index for nothing."""
    engine = create_engine(planned_database)
    try:
        async with engine.connect() as connection:
            plan = await _plan(connection, transactions_query(FILTERS["provider + currency never carried"], None, 51))
    finally:
        await engine.dispose()

    used = {node.get("Index Name") for node in _nodes(plan)}
    assert "ix_payments_provider_currency_created_at_id" in used, _outline(plan)


async def test_lookup_by_id_or_reference_uses_indexes(planned_database: str) -> None:
    engine = create_engine(planned_database)
    try:
        async with engine.connect() as connection:
            plans = [await _plan(connection, transaction_lookup(value)) for value in ("pay_x", "ref_77", "re_x")]
    finally:
        await engine.dispose()

    for plan in plans:
        assert _payment_seq_scans(plan) == [], _outline(plan)


def test_a_sequential_scan_is_recognised() -> None:
    """The check itself can fail: a plan with a Seq Scan on payments is reported."""
    plan = {"Node Type": "Limit", "Plans": [{"Node Type": "Seq Scan", "Relation Name": "payments"}]}
    assert _payment_seq_scans(plan) == ["Seq Scan on payments"]


async def _last_of_page(connection: Any, query: Query) -> Position:
    """Where the second page starts: the last row of the first, as a client's cursor would say."""
    text, positional = _compiled(connection, query)
    rows = (await connection.exec_driver_sql(text, positional)).mappings().all()
    if not rows:
        return Position(NOW, "pay_~")
    last = rows[min(len(rows), PAGE) - 1]
    return Position(last["created_at"], last["id"])


def _compiled(connection: Any, query: Query) -> tuple[str, tuple[Any, ...]]:
    """As the read model runs it: compiled by the seam for asyncpg, the limit written in, values in driver order."""
    compiled = compile_statement(query.statement, connection.dialect)
    return compiled.text, tuple(compiled.arguments(query.values))


async def _plan(connection: Any, query: Query, *, generic: bool = False) -> dict[str, Any]:
    text, positional = _compiled(connection, query)
    explain = f"EXPLAIN (FORMAT JSON) {text}"
    if generic:  # a prepared statement planned without its values, as Postgres may choose after five executions
        await connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        await connection.exec_driver_sql(f"PREPARE listing AS {text}")
        # EXPLAIN EXECUTE takes no bind parameters: the values (this module's own) are written as literals
        arguments = ", ".join(_literal(value) for value in positional)
        explain = "EXPLAIN (FORMAT JSON) EXECUTE listing" + (f"({arguments})" if positional else "")
        positional = ()
    try:
        raw = (await connection.exec_driver_sql(explain, positional)).scalar_one()
    finally:
        if generic:
            await connection.exec_driver_sql("DEALLOCATE listing")
            await connection.exec_driver_sql("RESET plan_cache_mode")
    document = json.loads(raw) if isinstance(raw, str) else raw
    plan: dict[str, Any] = document[0]["Plan"]
    return plan


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _payment_seq_scans(plan: dict[str, Any]) -> list[str]:
    return [
        f"{node['Node Type']} on payments"
        for node in _nodes(plan)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "payments"
    ]


def _outline(plan: dict[str, Any], depth: int = 0) -> str:
    what = plan.get("Index Name") or plan.get("Relation Name") or ""
    lines = [f"{'  ' * depth}{plan['Node Type']} {what}".rstrip()]
    lines += [_outline(child, depth + 1) for child in plan.get("Plans", [])]
    return "\n".join(lines)


def test_the_few_valued_filters_are_in_the_text_so_a_generic_plan_knows_them() -> None:
    # a prepared statement's generic plan is made without the parameters' values: for status+provider+window it
    # took 15-22 ms where a plan for the values took 1 ms, so status, provider, currency and risk are literals
    window = {"created_after": NOW - timedelta(days=90), "created_before": NOW - timedelta(days=30)}
    asked = TransactionFilter(status="succeeded", provider="paypal", currency="EUR", **window)
    query = transactions_query(asked, None, 51)
    compiled = compile_statement(query.statement, postgresql.asyncpg.dialect())
    assert set(compiled.parameters) == {"created_after", "created_before"}
    for literal in ("'succeeded'", "'paypal'", "'EUR'"):
        assert literal in compiled.text
    other = transactions_query(
        TransactionFilter(status="failed", provider="paypal", currency="EUR", **window), None, 51
    )
    assert other.statement is not query.statement  # one statement per value, each planned for it
