"""Admin webhook events over HTTP: list, filter, get (raw body, no credentials), replay; scope and 404."""

from __future__ import annotations

import json
import time
import uuid

from infrastructure.providers.signing import sign
from tests.e2e.conftest import WEBHOOK_SECRET, LiveServer


def test_list_get_and_replay_webhook_events(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    payment = server.paid_payment("order-whe-1")
    now = int(time.time())
    data = {"payment_id": "pay_not_ours_yet", "amount": 100, "currency": "USD"}
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": "payment.succeeded", "created": now, "data": data})
    headers = {
        "Content-Type": "application/json",
        "Simulator-Signature": sign(WEBHOOK_SECRET, body.encode(), now),
        "Authorization": "Bearer must-not-be-stored",
    }
    failed = server.http.post("/api/v1/webhooks/simulator", content=body, headers=headers)
    assert failed.status_code == 200, failed.text
    failed_id = failed.json()["id"]

    listed = server.get("/api/v1/webhook-events", key="admin")
    assert listed.status_code == 200, listed.text
    events = listed.json()["data"]
    assert events[0]["id"] == failed_id  # newest first
    assert {e["status"] for e in events} == {"processed", "failed"}
    paid_id = next(e["id"] for e in events if e["status"] == "processed")

    only_failed = server.get("/api/v1/webhook-events", key="admin", params={"status": "failed"}).json()
    assert [e["id"] for e in only_failed["data"]] == [failed_id]
    first = server.get("/api/v1/webhook-events", key="admin", params={"provider": "simulator", "limit": 1}).json()
    assert len(first["data"]) == 1
    assert first["next_cursor"]
    second = server.get("/api/v1/webhook-events", key="admin", params={"limit": 1, "cursor": first["next_cursor"]})
    assert [e["id"] for e in second.json()["data"]] == [paid_id]

    detail = server.get(f"/api/v1/webhook-events/{failed_id}", key="admin")
    assert detail.status_code == 200
    event = detail.json()
    assert (event["body"], event["body_encoding"]) == (body, "utf-8")
    assert "authorization" not in event["headers"]
    assert event["headers"]["simulator-signature"] == headers["Simulator-Signature"]
    assert event["reason"].startswith("payment pay_not_ours_yet not found")

    replayed = server.post(f"/api/v1/webhook-events/{paid_id}/replay", key="admin")
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["status"] == "processed"  # replaying an applied event changes nothing
    assert server.payment(payment["id"])["status"] == "succeeded"
    replayed = server.post(f"/api/v1/webhook-events/{failed_id}/replay", key="admin")
    assert replayed.status_code == 202
    assert replayed.json()["status"] == "failed"  # still no such payment


def test_webhook_events_need_the_admin_scope_and_unknown_ids_are_404(sqlite_server: LiveServer) -> None:
    assert sqlite_server.get("/api/v1/webhook-events", key="orders").status_code == 403
    assert sqlite_server.post("/api/v1/webhook-events/whe_x/replay", key="reader").status_code == 403
    assert sqlite_server.get("/api/v1/webhook-events").status_code == 401
    for response in (
        sqlite_server.get("/api/v1/webhook-events/whe_nope", key="admin"),
        sqlite_server.post("/api/v1/webhook-events/whe_nope/replay", key="admin"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("/webhook-event-not-found")
