"""The worker's batch statements reach their rows through primary keys, however big the tables: the relay's read of
a batch's payments and its mark, and delivery's record of a batch's attempts. Each takes its ids as one JSON
parameter, whose row count Postgres can only guess; a plan that scanned the outbox or the notifications instead
would slow every batch with the table's size. Explained by Postgres over 100,000 rows of each, custom and generic
plans."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from infrastructure.db.engine import create_engine
from infrastructure.db.read.read_model import _PAYMENTS_WITH_REFUNDS
from infrastructure.db.read.transactions_query import Query
from infrastructure.db.worker.notification_store import _RECORD_ATTEMPTS
from infrastructure.db.worker.outbox_store import _RELAYED
from tests.integration.db.seeded_database import seeded_database
from tests.integration.db.test_transactions_plans import _nodes, _outline, _plan

pytestmark = pytest.mark.postgres

NOW = datetime.now(UTC).replace(microsecond=0)
_SEED = (
    """INSERT INTO payments (id, order_id, amount, currency, provider, status, metadata, created_at, updated_at,
                             version)
       SELECT 'pay_' || g, 'ord-' || g, 1000, 'USD', 'stripe', 'succeeded', '{}'::jsonb, $1::timestamptz,
              $1::timestamptz, 1
       FROM generate_series(1, 100000) AS g""",
    """INSERT INTO outbox (id, event_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at)
       SELECT 'evt_' || g, 'payment.succeeded', 'pay_' || g, '{}'::jsonb, 'relayed', 0, $1::timestamptz,
              $1::timestamptz
       FROM generate_series(1, 100000) AS g""",
    """INSERT INTO notifications (id, event_id, event_type, payment_id, url, body, status, attempts,
                                  next_attempt_at, created_at)
       SELECT 'ntf_' || g, 'evt_' || g, 'payment.succeeded', 'pay_' || g, 'https://orders.example/events',
              '\\x7b7d'::bytea, 'delivered', 1, $1::timestamptz, $1::timestamptz
       FROM generate_series(1, 100000) AS g""",
)
BATCH = range(1, 51)
ATTEMPT = {"at": NOW, "outcome": "delivered", "status_code": 200, "latency_ms": 3, "error": None, "worker": "w1"}
STATEMENTS: dict[str, tuple[Any, dict[str, Any], str]] = {
    "the relay's read of its payments": (
        _PAYMENTS_WITH_REFUNDS,
        {"ids": [{"id": f"pay_{n}"} for n in BATCH]},
        "payments",
    ),
    "the relay's mark": (
        _RELAYED,
        {"messages": [{"id": f"evt_{n}"} for n in BATCH], "at": NOW},
        "outbox",
    ),
    "delivery's record of its attempts": (
        _RECORD_ATTEMPTS.one_statement,
        {
            "changes": [
                {
                    "id": f"ntf_{n}",
                    "status": "delivered",
                    "last_status_code": 200,
                    "last_error": None,
                    "delivered_at": NOW,
                    "next_attempt_at": None,
                }
                for n in BATCH
            ],
            "attempts": [{"id": f"nta_{n}", "notification_id": f"ntf_{n}", **ATTEMPT} for n in BATCH],
        },
        "notifications",
    ),
}


@pytest.fixture(scope="module")
def batch_database(postgres_session_url: str) -> Iterator[str]:
    with seeded_database([(statement, (NOW,)) for statement in _SEED]) as url:
        yield url


@pytest.mark.parametrize("generic", [False, True], ids=["custom plan", "generic plan"])
@pytest.mark.parametrize("name", list(STATEMENTS))
async def test_a_batch_statement_reaches_its_rows_by_primary_key(batch_database: str, name: str, generic: bool) -> None:
    statement, values, table = STATEMENTS[name]
    engine = create_engine(batch_database)
    try:
        async with engine.connect() as connection:
            plan = await _plan(connection, Query(statement, values), generic=generic)
    finally:
        await engine.dispose()

    scans = [n for n in _nodes(plan) if n.get("Relation Name") == table and n["Node Type"] != "ModifyTable"]
    assert scans, _outline(plan)
    assert {node["Node Type"] for node in scans} <= {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}, _outline(
        plan
    )
    assert f"pk_{table}" in {node.get("Index Name") for node in _nodes(plan)}, _outline(plan)
