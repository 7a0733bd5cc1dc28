"""The payment-status fast path (interfaces/http/status_fast_path.py) answers exactly as the Litestar route does.

Each request goes to the same app twice: once as built (fast path in place) and once with the fast path taken
out, so the route answers. Status, headers and body must match, except what differs between any two requests
(the request id, the rate-limit counters, the problem's instance id). And the fast path must really serve the
ordinary reads (the route is never reached), or these comparisons would prove nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from infrastructure.settings import ConfiguredApiKey, Settings
from interfaces.http.app import create_app
from interfaces.http.edge import EdgeMiddleware
from interfaces.http.status_fast_path import StatusReadFastPath
from tests.e2e.conftest import _settings

WRITER_KEY = "pk_e2e_writer_only_" + "0" * 24
VARYING_HEADERS = {"x-request-id", "ratelimit-remaining", "ratelimit-reset"}
VARYING_PROBLEM_MEMBERS = {"instance", "request_id"}


class Counting:
    """Counts the requests that reach the app behind the fast path (Litestar's router)."""

    def __init__(self, app: Any) -> None:
        self.app, self.calls = app, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.calls += 1
        await self.app(scope, receive, send)


class TwoWays:
    def __init__(self, app: Litestar, client: AsyncTestClient[Litestar], keys: dict[str, str]) -> None:
        edge = app.asgi_handler
        assert isinstance(edge, EdgeMiddleware)
        fast = edge.app
        assert isinstance(fast, StatusReadFastPath)
        self.route = Counting(fast.app)
        fast.app = self.route
        self.edge, self.fast, self.client, self.keys = edge, fast, client, keys

    async def get(self, path: str, key: str | None, *, fast: bool) -> httpx.Response:
        self.edge.app = self.fast if fast else self.route
        headers = {"Authorization": f"Bearer {self.keys.get(key, key)}"} if key else {}
        return await self.client.get(path, headers=headers)

    async def both(self, path: str, key: str | None) -> tuple[httpx.Response, bool]:
        """The route's answer and the fast path's, asserted equal; True if the fast path served it itself."""
        by_route = await self.get(path, key, fast=False)
        before = self.route.calls
        by_fast_path = await self.get(path, key, fast=True)
        assert by_fast_path.status_code == by_route.status_code, by_fast_path.text
        assert comparable_headers(by_fast_path) == comparable_headers(by_route)
        assert comparable_body(by_fast_path) == comparable_body(by_route)
        return by_route, self.route.calls == before


def comparable_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return sorted((name, value) for name, value in response.headers.items() if name not in VARYING_HEADERS)


def comparable_body(response: httpx.Response) -> Any:
    body = response.json()
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        return {name: value for name, value in body.items() if name not in VARYING_PROBLEM_MEMBERS}
    return body


async def started(settings: Settings) -> AsyncIterator[tuple[Litestar, AsyncTestClient[Litestar]]]:
    app = create_app(settings)
    async with AsyncTestClient(app, base_url=settings.public_url) as client:
        yield app, client


@pytest.fixture
async def two_ways(database_url: str, api_keys: dict[str, str]) -> AsyncIterator[TwoWays]:
    settings = _settings(database_url, "http://127.0.0.1:8000", api_keys, {})
    writer = ConfiguredApiKey("writer", WRITER_KEY, ("payments:write",))
    settings = replace(settings, api_keys=(*settings.api_keys, writer))
    async for app, client in started(settings):
        yield TwoWays(app, client, {**api_keys, "writer": WRITER_KEY})


async def checkout(two_ways: TwoWays, order_id: str) -> None:
    created = await two_ways.client.post(
        f"/api/v1/orders/{order_id}/checkout",
        json={"amount": 5000, "currency": "USD"},
        headers={"Authorization": f"Bearer {two_ways.keys['orders']}"},
    )
    assert created.status_code == 201, created.text


async def test_an_ordinary_read_is_served_by_the_fast_path_with_the_routes_answer(two_ways: TwoWays) -> None:
    await checkout(two_ways, "order-fast-1")
    for key in ("reader", "orders", "admin"):
        response, served_fast = await two_ways.both("/api/v1/orders/order-fast-1/payment-status", key)
        assert response.status_code == 200
        assert response.json()["status"] == "processing"
        assert served_fast
        assert {"x-request-id", "ratelimit-limit", "content-security-policy"} <= set(response.headers)


@pytest.mark.parametrize(
    ("path", "key", "status"),
    [
        ("/api/v1/orders/order-none/payment-status", "reader", 404),  # no payment for the order
        ("/api/v1/orders/" + "a" * 129 + "/payment-status", "reader", 422),  # not a valid order id
        ("/api/v1/orders/bad%20id/payment-status", "reader", 422),
        ("/api/v1/orders/%2e%2e/payment-status", "reader", 422),  # `.` and `..` are not order ids
        ("/api/v1/orders/%2e/payment-status", "reader", 422),
        ("/api/v1/orders/order-fast-2/payment-status", None, 401),
        ("/api/v1/orders/order-fast-2/payment-status", "pk_e2e_unknown_" + "1" * 24, 401),
        ("/api/v1/orders/order-fast-2/payment-status", "writer", 403),  # no payments:read
    ],
)
async def test_everything_else_is_left_to_the_route(two_ways: TwoWays, path: str, key: str | None, status: int) -> None:
    await checkout(two_ways, "order-fast-2")
    response, served_fast = await two_ways.both(path, key)
    assert response.status_code == status, response.text
    assert not served_fast


async def test_a_rate_limited_read_gets_the_routes_429_and_is_counted_once(
    database_url: str, api_keys: dict[str, str]
) -> None:
    """Fast path and route both consult the limit; a request must spend one token, and a refusal be the route's."""
    answers: dict[bool, list[int]] = {}
    for fast in (True, False):  # a fresh app (and in-memory limiter) each way
        settings = _settings(database_url, "http://127.0.0.1:8000", api_keys, {"rate_limit_per_second": 3})
        async for app, client in started(settings):
            ways = TwoWays(app, client, api_keys)
            if fast:
                await checkout(ways, "order-limited")
            codes = [
                (await ways.get("/api/v1/orders/order-limited/payment-status", "reader", fast=fast)).status_code
                for _ in range(6)
            ]
            answers[fast] = codes
            if fast:
                limited = await ways.get("/api/v1/orders/order-limited/payment-status", "reader", fast=True)
                assert limited.status_code == 429
                assert limited.headers["content-type"].startswith("application/problem+json")
                assert "retry-after" in limited.headers
    assert answers[True] == answers[False]
    assert answers[True][:2] == [200, 200]
    assert 429 in answers[True]
