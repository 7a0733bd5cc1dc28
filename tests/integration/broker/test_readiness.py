"""/ready checks the configured broker: "ok" when it answers, a 503 naming it when it does not."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from infrastructure.container import build_container
from infrastructure.settings import Settings
from interfaces.http.app import create_app


async def _ready(sqlite: str, broker_url: str | None) -> tuple[int, dict[str, Any]]:
    settings = Settings(database_url=sqlite, broker_url=broker_url)
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/ready")
        return response.status_code, response.json()


async def test_ready_reports_a_reachable_broker_as_ok(sqlite: str, rabbitmq_url: str) -> None:
    status, body = await _ready(sqlite, rabbitmq_url)
    assert status == 200, body
    assert body["checks"]["broker"] == "ok"


@pytest.mark.parametrize("broker_url", ["amqp://guest:guest@127.0.0.1:1/", "nats://127.0.0.1:1"])
async def test_ready_is_a_503_naming_an_unreachable_broker(sqlite: str, broker_url: str) -> None:
    status, body = await _ready(sqlite, broker_url)
    assert status == 503
    assert body["checks"]["broker"].startswith("failed: ")
    assert body["checks"]["database"] == "ok"
    assert "broker: failed" in str(body["detail"])


def test_the_container_has_no_publisher_without_a_broker_url() -> None:
    assert build_container(Settings()).event_publisher() is None
