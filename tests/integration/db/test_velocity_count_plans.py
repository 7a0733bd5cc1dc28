"""The risk check's velocity counts are answered from indexes: every checkout runs one per velocity rule, inside
its transaction and under its lock, so a sequential scan of payments there would slow every checkout with the
table's size. Explained by Postgres over 100,000 payments from 20,000 customers, custom and generic plans."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from application.ports.risk import CountedBy
from infrastructure.db.engine import create_engine
from infrastructure.db.read.transactions_query import Query
from infrastructure.db.write.recent_checkouts import COUNT, counts_of
from tests.integration.db.seeded_database import seeded_database
from tests.integration.db.test_transactions_plans import _nodes, _outline, _plan

pytestmark = pytest.mark.postgres

NOW = datetime.now(UTC).replace(microsecond=0)
# failed payments: an order may then have several (one live payment per order is the only uniqueness)
_SEED = """
INSERT INTO payments (id, order_id, amount, currency, provider, status, metadata, created_at, updated_at, version,
                      customer_email, customer_ip)
SELECT 'pay_' || lpad(g::text, 9, '0'), 'ord-' || (g % 60000), 1000, 'USD', 'stripe', 'failed', '{}'::jsonb,
       $1::timestamptz - interval '1 minute' * g, $1::timestamptz - interval '1 minute' * g, 1,
       (CASE WHEN g % 2 = 0 THEN 'buyer' ELSE 'Buyer' END) || (g % 20000) || '@example.com', '198.51.' || (g % 250) || '.' || (g % 199)
FROM generate_series(1, 100000) AS g
"""
INDEXES: dict[CountedBy, str] = {
    "email": "ix_payments_customer_email_lower_created_at",
    "ip": "ix_payments_customer_ip_created_at",
    "order": "ix_payments_order_id_created_at",
}
VALUES: dict[CountedBy, str] = {"email": "buyer42@example.com", "ip": "198.51.42.42", "order": "ord-4242"}


@pytest.fixture(scope="module")
def counted_database(postgres_session_url: str) -> Iterator[str]:
    with seeded_database([(_SEED, (NOW,))]) as url:
        yield url


@pytest.mark.parametrize("generic", [False, True], ids=["custom plan", "generic plan"])
@pytest.mark.parametrize("by", list(INDEXES))
async def test_each_velocity_count_reads_its_own_index(counted_database: str, by: CountedBy, generic: bool) -> None:
    engine = create_engine(counted_database)
    try:
        async with engine.connect() as connection:
            query = Query(COUNT[by], {"value": VALUES[by], "since": NOW - timedelta(hours=24)})
            plan = await _plan(connection, query, generic=generic)
    finally:
        await engine.dispose()

    scans = [node for node in _nodes(plan) if node.get("Relation Name") == "payments"]
    assert [node["Node Type"] for node in scans] in (["Index Only Scan"], ["Index Scan"], ["Bitmap Heap Scan"]), (
        _outline(plan)
    )
    used = {node.get("Index Name") for node in _nodes(plan)}
    assert INDEXES[by] in used, _outline(plan)


async def test_every_rule_counted_at_once_reads_each_its_index(counted_database: str) -> None:
    shape: tuple[CountedBy, ...] = ("email", "ip", "order")
    since = NOW - timedelta(hours=24)
    values = {f"{name}_{i}": v for i, by in enumerate(shape) for name, v in (("value", VALUES[by]), ("since", since))}
    engine = create_engine(counted_database)
    try:
        async with engine.connect() as connection:
            plan = await _plan(connection, Query(counts_of(shape), values))
    finally:
        await engine.dispose()

    used = {node.get("Index Name") for node in _nodes(plan)}
    assert used >= set(INDEXES.values()), _outline(plan)
    assert not [n for n in _nodes(plan) if n["Node Type"] == "Seq Scan"], _outline(plan)
