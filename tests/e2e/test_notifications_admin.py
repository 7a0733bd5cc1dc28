"""The admin notification endpoints over HTTP: list, one with its attempts, retry; scope and problem shapes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from application.data.notifications import AttemptRecord, NewNotification, NotificationAttempt, NotificationStatus
from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database
from infrastructure.db.worker.notification_store import SqlNotificationStore
from infrastructure.ids import SortableIdGenerator
from tests.e2e.conftest import LiveServer

CREATED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


async def _seed(database_url: str) -> tuple[str, str]:
    """A dead notification with one failed attempt, and a newer pending one."""
    ids, engine = SortableIdGenerator(), create_engine(database_url, pool_size=1)
    store = SqlNotificationStore(Database(engine))
    try:
        dead, pending = ids.new("ntf"), ids.new("ntf")
        for notification_id, at in ((dead, CREATED), (pending, CREATED + timedelta(minutes=1))):
            body = b'{"id":"' + notification_id.encode() + b'","type":"payment.succeeded"}'
            await store.add(
                NewNotification(
                    notification_id, ids.new("evt"), "payment.succeeded", "pay_1", "https://o.example/h", body, at
                )
            )
        attempt = NotificationAttempt(ids.new("nta"), dead, CREATED, "failed", 410, 15, "HTTP 410", "w1")
        await store.record_attempts([AttemptRecord(attempt, NotificationStatus.DEAD, None)])
    finally:
        await engine.dispose()
    return dead, pending


def test_admins_list_inspect_and_retry_notifications(sqlite_server: LiveServer) -> None:
    dead, pending = asyncio.run(_seed(sqlite_server.settings.database_url))

    everything = sqlite_server.get("/api/v1/notifications", key="admin")
    assert everything.status_code == 200, everything.text
    assert [n["id"] for n in everything.json()["data"]] == [pending, dead]  # newest first

    page = sqlite_server.get("/api/v1/notifications", key="admin", params={"limit": 1})
    assert [n["id"] for n in page.json()["data"]] == [pending]
    rest = sqlite_server.get(
        "/api/v1/notifications", key="admin", params={"limit": 1, "cursor": page.json()["next_cursor"]}
    )
    assert [n["id"] for n in rest.json()["data"]] == [dead]

    only_dead = sqlite_server.get("/api/v1/notifications", key="admin", params={"status": "dead"}).json()["data"]
    assert [(n["id"], n["status"], n["last_status_code"], n["next_attempt_at"]) for n in only_dead] == [
        (dead, "dead", 410, None)
    ]

    detail = sqlite_server.get(f"/api/v1/notifications/{dead}", key="admin")
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["notification"]["id"] == dead
    assert body["body"].startswith('{"id":"' + dead)
    assert [(a["outcome"], a["status_code"], a["error"]) for a in body["attempts"]] == [("failed", 410, "HTTP 410")]

    retried = sqlite_server.post(f"/api/v1/notifications/{dead}/retry", key="admin")
    assert retried.status_code == 202, retried.text
    assert (retried.json()["id"], retried.json()["status"]) == (dead, "pending")
    assert retried.json()["next_attempt_at"] is not None
    statuses = sqlite_server.get("/api/v1/notifications", key="admin", params={"status": "pending"}).json()["data"]
    assert {n["id"] for n in statuses} == {dead, pending}


def test_notification_endpoints_need_the_admin_scope(sqlite_server: LiveServer) -> None:
    for key in ("orders", "reader", "refunder"):
        response = sqlite_server.get("/api/v1/notifications", key=key)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("/problems/forbidden")
    assert sqlite_server.post("/api/v1/notifications/ntf_x/retry", key="orders").status_code == 403
    assert sqlite_server.get("/api/v1/notifications").status_code == 401


def test_unknown_notifications_and_bad_filters_are_problems(sqlite_server: LiveServer) -> None:
    for response in (
        sqlite_server.get("/api/v1/notifications/ntf_unknown", key="admin"),
        sqlite_server.post("/api/v1/notifications/ntf_unknown/retry", key="admin"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("/problems/notification-not-found")
    bad = sqlite_server.get("/api/v1/notifications", key="admin", params={"status": "lost"})
    assert bad.status_code == 422
    assert bad.json()["type"].endswith("/problems/validation-error")
    cursor = sqlite_server.get("/api/v1/notifications", key="admin", params={"cursor": "garbage"})
    assert cursor.status_code == 422
