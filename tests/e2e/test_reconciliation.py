"""Reconciliation over HTTP: the summary's shape and numbers, a janitor run on demand, and admin-only access."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.e2e.conftest import LiveServer
from tests.integration.db.builders import new_payment, store


def abandoned_checkout(database_url: str, order_id: str, age: timedelta) -> str:
    """A simulator checkout created `age` ago, expired an hour after, that nobody paid or cancelled."""

    async def insert() -> str:
        created = datetime.now(UTC) - age
        ids = SortableIdGenerator()
        payment = new_payment(ids, order_id, amount=1_234, at=created)
        payment.attach_checkout_session(
            f"sim_{payment.id}", "https://pay.example/x", created + timedelta(hours=1), created
        )
        engine = create_engine(database_url, pool_size=1)
        try:
            await store(SqlUnitOfWork(Database(engine), ids), payment)
        finally:
            await engine.dispose()
        return payment.id

    return asyncio.run(insert())


def test_the_summary_counts_what_happened(live_server: LiveServer) -> None:
    live_server.paid_payment("rec-1", 5_000)
    live_server.paid_payment("rec-2", 2_500)
    open_checkout = live_server.checkout("rec-3", 700, "EUR")
    assert open_checkout.status_code == 201, open_checkout.text

    response = live_server.get("/api/v1/reconciliation/summary?hours_back=24", key="admin")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["hours_back"] == 24
    assert body["since"].endswith("Z")
    assert body["until"].endswith("Z")
    assert body["payments"] == [
        {"provider": "simulator", "status": "processing", "currency": "EUR", "count": 1, "amount": 700},
        {"provider": "simulator", "status": "succeeded", "currency": "USD", "count": 2, "amount": 7_500},
    ]
    assert body["refunds"] == []
    assert (body["stuck_payments"]["count"], body["stuck_payments"]["ids"]) == (0, [])
    assert body["webhook_events"] == []
    assert body["discrepancies"] == {
        "over_refunded": {"count": 0, "ids": []},
        "paid_without_confirmation": {"count": 0, "ids": []},
        "refunds_stuck_pending": {"count": 0, "ids": []},
        "paid_after_cancel": {"count": 0, "ids": []},
    }


def test_a_stuck_payment_shows_up_and_a_janitor_run_expires_it(live_server: LiveServer) -> None:
    stuck = abandoned_checkout(live_server.settings.database_url, "rec-stuck", timedelta(hours=3))
    summary = live_server.get("/api/v1/reconciliation/summary", key="admin").json()
    assert (summary["stuck_payments"]["count"], summary["stuck_payments"]["ids"]) == (1, [stuck])

    run = live_server.post("/api/v1/reconciliation/runs", key="admin")

    assert run.status_code == 200, run.text
    report = run.json()
    assert (report["checked"], report["checked_payments"], report["checked_refunds"], report["errors"]) == (
        1,
        1,
        0,
        [],
    )
    assert report["changed"] == [
        {
            "payment_id": stuck,
            "refund_id": None,
            "from_status": "processing",
            "to_status": "expired",
            "provider_event_id": None,
        }
    ]
    assert live_server.payment(stuck)["status"] == "expired"
    trail = live_server.get(f"/api/v1/payments/{stuck}/events", key="admin").json()["data"]
    assert (trail[-1]["type"], trail[-1]["source"], trail[-1]["actor"]) == (
        "payment.expired",
        "worker",
        "janitor:admin",
    )
    again = live_server.post("/api/v1/reconciliation/runs", key="admin").json()
    assert (again["checked"], again["changed"]) == (0, [])


@pytest.mark.parametrize("key", ["orders", "reader", "refunder"])
def test_only_admins_may_reconcile(sqlite_server: LiveServer, key: str) -> None:
    for method, path in [("GET", "/api/v1/reconciliation/summary"), ("POST", "/api/v1/reconciliation/runs")]:
        response = sqlite_server.request(method, path, key=key)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("/problems/forbidden")


def test_hours_back_is_validated(sqlite_server: LiveServer) -> None:
    for bad in ("0", "721", "soon"):
        response = sqlite_server.get(f"/api/v1/reconciliation/summary?hours_back={bad}", key="admin")
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["parameter"] == "hours_back"
    assert sqlite_server.get("/api/v1/reconciliation/summary").status_code == 401
