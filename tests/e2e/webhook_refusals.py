"""Shared checks for the webhook refusals every provider's e2e test makes: a correctly signed body we cannot
read is `400 malformed-webhook`, a forged one `400 invalid-signature`, and neither leaves anything stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.db.tables import webhook_events
from tests.e2e.conftest import LiveServer

LONG_EVENT_ID = "evt_" + "x" * 296  # the inbox's event id column holds 255 characters
NOT_AN_EVENT: tuple[bytes, ...] = (b"[]", b'"an event"', b"{}", b'{"hello": "world"}')


def assert_refused(response: httpx.Response, slug: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(f"/problems/{slug}"), response.text


def assert_malformed(server: LiveServer, provider: str, signed: Iterable[tuple[bytes, dict[str, str]]]) -> None:
    """Each (body, headers) is a correctly signed delivery of a body that is no event we can read."""
    for body, headers in signed:
        response = server.http.post(f"/api/v1/webhooks/{provider}", content=body, headers=headers)
        assert_refused(response, "malformed-webhook")
        assert provider in response.json()["detail"]
    assert stored_webhooks(server) == 0


def stored_webhooks(server: LiveServer) -> int:
    return asyncio.run(_count(server.settings.database_url))


def with_event_id(body: bytes, event_id: str, field: str = "id") -> bytes:
    event = json.loads(body)
    event[field] = event_id
    return json.dumps(event).encode()


async def _count(database_url: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            count = (await connection.execute(sa.select(sa.func.count()).select_from(webhook_events))).scalar_one()
    finally:
        await engine.dispose()
    return int(count)
