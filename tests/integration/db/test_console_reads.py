"""What the admin console reads and keeps, on SQLite and Postgres: sessions (idle expiry, revoked keys, sign
out), API keys' last use, the overview, payments per hour, a payment's webhook events and callbacks."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.data.api_keys import Caller
from infrastructure.db.edge.admin_session_store import SqlAdminSessionStore
from infrastructure.db.edge.api_key_store import SqlApiKeyStore
from infrastructure.db.read.payment_activity_query import SqlPaymentActivity
from infrastructure.db.read.payment_messages_query import SqlPaymentMessages
from infrastructure.db.read.reconciliation_query import SqlReconciliationQuery
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import admin_sessions, notifications, webhook_events
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0, new_payment, paid_payment, store

ADMIN = Caller("ops-alice", frozenset({"admin"}))


async def test_a_session_is_found_by_its_token_until_idle_for_8_hours(database: Database, engine: AsyncEngine) -> None:
    sessions = SqlAdminSessionStore(database, cache_seconds=0)
    await sessions.start("token-1", ADMIN, "raw-key-1", "csrf-1", T0)

    found = await sessions.find("token-1", T0 + timedelta(hours=7))
    kept_alive = await sessions.find("token-1", T0 + timedelta(hours=14))  # 7 h after it was last seen
    expired = await sessions.find("token-1", T0 + timedelta(hours=22, minutes=1))

    assert found is not None
    assert (found.caller, found.csrf_token) == (ADMIN, "csrf-1")
    assert kept_alive is not None
    assert expired is None
    assert await sessions.find("token-2", T0) is None
    async with engine.connect() as connection:
        stored = (await connection.execute(sa.select(admin_sessions))).mappings().one()
    assert "token-1" not in stored.values()
    assert "raw-key-1" not in stored.values()


async def test_signing_out_or_revoking_the_key_ends_the_session(database: Database, ids: SortableIdGenerator) -> None:
    sessions, keys = SqlAdminSessionStore(database), SqlApiKeyStore(database, ids)
    info, raw_key = await keys.create("support", ("payments:read",), T0)
    caller = await keys.authenticate(raw_key)
    assert caller is not None
    await sessions.start("kept", caller, raw_key, "c1", T0)
    await sessions.start("signed-out", caller, raw_key, "c2", T0)

    await sessions.end("signed-out")
    assert await sessions.find("signed-out", T0) is None
    assert await sessions.find("kept", T0) is not None
    await keys.revoke(info.id, T0)
    sessions.forget_remembered()  # as the console does after revoking
    assert await sessions.find("kept", T0) is None


async def test_a_session_found_is_remembered_for_seconds_but_signing_out_forgets_it(database: Database) -> None:
    clock = [100.0]
    sessions = SqlAdminSessionStore(database, monotonic=lambda: clock[0])
    other_process = SqlAdminSessionStore(database)
    await sessions.start("token-1", ADMIN, "raw-key-1", "csrf-1", T0)
    await sessions.start("token-2", ADMIN, "raw-key-1", "csrf-2", T0)
    assert await sessions.find("token-1", T0) is not None
    assert await sessions.find("token-2", T0) is not None

    await other_process.end("token-1")  # signed out through another process
    await sessions.end("token-2")  # signed out here

    assert await sessions.find("token-1", T0) is not None  # remembered for up to 5 s
    assert await sessions.find("token-2", T0) is None
    clock[0] += 5.1
    assert await sessions.find("token-1", T0) is None


async def test_a_key_records_its_last_use_at_most_once_a_minute(database: Database, ids: SortableIdGenerator) -> None:
    ticks = iter([1000.0, 1030.0, 1061.0])  # one reading per authentication
    moments = iter([T0, T0 + timedelta(seconds=61)])
    keys = SqlApiKeyStore(
        database, ids, cache_seconds=0, monotonic=lambda: next(ticks), wall_clock=lambda: next(moments)
    )
    _, raw_key = await keys.create("reports", ("payments:read",), T0)
    assert (await keys.list())[0].last_used_at is None

    for _ in range(3):  # at 0 s, 30 s (not written) and 61 s
        assert await keys.authenticate(raw_key) is not None

    assert (await keys.list())[0].last_used_at == T0 + timedelta(seconds=61)


async def test_the_overview_counts_the_window_and_the_stuck(
    database: Database, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    stuck = new_payment(ids, "o-stuck", at=T0 - timedelta(hours=2))
    paid = paid_payment(ids, "o-paid", amount=2_500, at=T0)
    old = paid_payment(ids, "o-old", at=T0 - timedelta(days=3))
    await store(uow, stuck, paid, old)

    overview = await SqlReconciliationQuery(database).overview(
        T0 - timedelta(hours=24), T0 + timedelta(minutes=1), T0 - timedelta(hours=1), 10
    )

    assert {(g.status, g.count, g.amount) for g in overview.payments} == {
        ("processing", 1, 10_000),
        ("succeeded", 1, 2_500),
    }
    assert overview.stuck_payments.ids == (stuck.id,)


async def test_payments_are_counted_per_hour(database: Database, uow: SqlUnitOfWork, ids: SortableIdGenerator) -> None:
    hour = T0.replace(minute=0, second=0, microsecond=0)
    at = [hour, hour + timedelta(minutes=59), hour + timedelta(hours=2, minutes=1), hour - timedelta(seconds=1)]
    await store(uow, *(new_payment(ids, f"o-{n}", at=moment) for n, moment in enumerate(at)))

    assert await SqlPaymentActivity(database).created_per_hour(hour, 3) == (2, 0, 1)


async def test_a_payments_webhook_events_and_callbacks_newest_first(
    database: Database, engine: AsyncEngine, uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    payment, other = paid_payment(ids, "o-1"), paid_payment(ids, "o-2")
    await store(uow, payment, other)
    async with engine.begin() as connection:
        for n, (payment_id, minutes) in enumerate([(payment.id, 1), (payment.id, 2), (other.id, 3)]):
            at = T0 + timedelta(minutes=minutes)
            await connection.execute(
                sa.insert(webhook_events).values(
                    id=f"whe_{n}",
                    provider="simulator",
                    event_id=f"evt_{n}",
                    event_type="payment.succeeded",
                    status="processed",
                    payment_id=payment_id,
                    headers={},
                    body=b"{}",
                    received_at=at,
                )
            )
            await connection.execute(
                sa.insert(notifications).values(
                    id=f"ntf_{n}",
                    event_id=f"evt_{n}",
                    event_type="payment.succeeded",
                    payment_id=payment_id,
                    url="https://shop.example/cb",
                    body=b"{}",
                    status="failed",
                    attempts=n,
                    next_attempt_at=at,
                    created_at=at,
                    last_status_code=500,
                )
            )

    messages = await SqlPaymentMessages(database).for_payment(payment.id, 10)

    assert [e.id for e in messages.webhook_events] == ["whe_1", "whe_0"]
    assert [(c.id, c.last_status_code) for c in messages.callbacks] == [("ntf_1", 500), ("ntf_0", 500)]
