"""Webhook body retention over HTTP: once the worker's job has purged an event's raw body and headers, the admin
API and the console say so (`body_purged`, `body_purged_at`, no body, no headers) and refuses to replay it (409
`webhook-body-purged`), while the row's id, provider, type, outcome and timestamps are still listed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from dependency_injector import providers

from application.worker.purge_webhook_bodies import PurgeWebhookBodies
from infrastructure.container import build_container, close_resources
from infrastructure.settings import Settings
from tests.e2e.conftest import LiveServer
from tests.e2e.console_session import ConsoleSession
from tests.unit.fakes import FakeClock


async def purge_as_of(settings: Settings, moment: datetime) -> int:
    """What the worker's job does at `moment`, run by a worker of its own on the server's database."""
    container = build_container(settings)
    container.clock.override(providers.Object(FakeClock(moment)))
    try:
        return await container.bus().send(PurgeWebhookBodies())
    finally:
        await close_resources(container)


def test_a_purged_event_is_shown_as_purged_and_cannot_be_replayed(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    server.paid_payment("order-retention")
    [event] = server.get("/api/v1/webhook-events", key="admin").json()["data"]
    before = server.get(f"/api/v1/webhook-events/{event['id']}", key="admin").json()
    assert (before["body_purged"], before["body_purged_at"]) == (False, None)
    assert before["body"] is not None
    assert before["headers"]

    assert asyncio.run(purge_as_of(server.settings, datetime.now(UTC) + timedelta(days=29))) == 0
    assert asyncio.run(purge_as_of(server.settings, datetime.now(UTC) + timedelta(days=31))) == 1

    after = server.get(f"/api/v1/webhook-events/{event['id']}", key="admin").json()
    assert after["body_purged"] is True
    assert after["body_purged_at"].endswith("Z")
    assert (after["body"], after["body_encoding"], after["headers"]) == (None, None, {})
    kept = ("id", "provider", "event_id", "event_type", "status", "received_at", "processed_at")
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}

    replay = server.post(f"/api/v1/webhook-events/{event['id']}/replay", key="admin")
    assert replay.status_code == 409, replay.text
    assert replay.headers["content-type"].startswith("application/problem+json")
    assert replay.json()["type"].endswith("/problems/webhook-body-purged")
    problem_page = server.get("/problems/webhook-body-purged")
    assert problem_page.status_code == 200


def test_the_console_says_the_body_was_purged_and_offers_no_replay(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    server.paid_payment("order-retention-console")
    [event] = server.get("/api/v1/webhook-events", key="admin").json()["data"]
    console = ConsoleSession(server).signed_in_as("admin")
    try:
        page = f"/admin/webhook-events/{event['id']}"
        before = console.get(page).text
        assert "Replay</button>" in before
        assert "was purged" not in before
        assert asyncio.run(purge_as_of(server.settings, datetime.now(UTC) + timedelta(days=31))) == 1
        after = console.get(page)
        assert after.status_code == 200
        assert "The body was purged on" in after.text
        assert "Replay</button>" not in after.text
        assert event["event_id"] in after.text  # the row itself is still shown
    finally:
        console.close()
