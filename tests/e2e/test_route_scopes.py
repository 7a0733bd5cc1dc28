"""Every route of the app, for every kind of caller, over real HTTP: the scope each route needs is enforced.

The routes come from the Litestar app object itself, so a new route that is not in `ROUTE_SCOPES` fails
`test_every_route_is_in_the_table` (and a table entry for a route that no longer exists fails too). The table
mirrors API.md: order systems' routes need their scope (`admin` implies every scope), the admin routes need
`admin`, and the operational, documentation, webhook and simulator-page routes are public. Callers: no key, a
revoked key, one key per scope in `SCOPES` holding only that scope.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from application.data.api_keys import SCOPES
from infrastructure.db import migrate
from infrastructure.db.edge.api_key_store import SqlApiKeyStore
from infrastructure.db.engine import create_engine
from infrastructure.db.sql.database import Database
from infrastructure.ids import SortableIdGenerator
from infrastructure.settings import ConfiguredApiKey, Settings
from interfaces.http.app import create_app
from tests.e2e.conftest import LiveServer, serve

PUBLIC = "public"
# The admin console signs people in with a session, not an API key per request: its routes are not in this table
# but checked by `test_console_routes_take_no_api_key` here and in tests/e2e/test_admin_console.py.
CONSOLE = "/admin"
CONSOLE_PUBLIC = {
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),
    ("GET", "/admin/assets/console.css"),
    ("GET", "/admin/{rest:path}"),  # the console's "not found" page
}

ROUTE_SCOPES: dict[tuple[str, str], str] = {
    # order systems (API.md, Endpoints)
    ("POST", "/api/v1/orders/{order_id:str}/checkout"): "payments:write",
    ("GET", "/api/v1/orders/{order_id:str}/payment-status"): "payments:read",
    ("GET", "/api/v1/payments/{payment_id:str}"): "payments:read",
    ("GET", "/api/v1/payments/{payment_id:str}/events"): "payments:read",
    ("POST", "/api/v1/payments/{payment_id:str}/refund"): "refunds:write",
    ("POST", "/api/v1/payments/{payment_id:str}/capture"): "payments:write",
    ("POST", "/api/v1/payments/{payment_id:str}/cancel"): "payments:write",
    ("GET", "/api/v1/transactions"): "payments:read",
    ("GET", "/api/v1/transactions/{id_or_reference:str}"): "payments:read",
    # admin only
    ("GET", "/api/v1/webhook-events"): "admin",
    ("GET", "/api/v1/webhook-events/{event_id:str}"): "admin",
    ("POST", "/api/v1/webhook-events/{event_id:str}/replay"): "admin",
    ("GET", "/api/v1/notifications"): "admin",
    ("GET", "/api/v1/notifications/{notification_id:str}"): "admin",
    ("POST", "/api/v1/notifications/{notification_id:str}/retry"): "admin",
    ("GET", "/api/v1/reconciliation/summary"): "admin",
    ("POST", "/api/v1/reconciliation/runs"): "admin",
    # providers authenticate by signature, customers use the simulator's page without a key
    ("POST", "/api/v1/webhooks/{provider:str}"): PUBLIC,
    ("GET", "/simulator/checkout/{payment_id:str}"): PUBLIC,
    ("GET", "/simulator/checkout/{payment_id:str}/complete"): PUBLIC,
    ("POST", "/simulator/checkout/{payment_id:str}/pay"): PUBLIC,
    ("POST", "/simulator/checkout/{payment_id:str}/authorize"): PUBLIC,
    ("POST", "/simulator/checkout/{payment_id:str}/decline"): PUBLIC,
    # operations and documentation (API.md, Operations: no auth)
    ("GET", "/health"): PUBLIC,
    ("HEAD", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    ("HEAD", "/ready"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/problems/{slug:str}"): PUBLIC,
    ("GET", "/"): PUBLIC,  # the landing page and the stylesheet of every HTML page
    ("HEAD", "/"): PUBLIC,
    ("GET", "/assets/pages.css"): PUBLIC,
    ("GET", "/schema"): PUBLIC,
    ("GET", "/schema/swagger"): PUBLIC,
    ("GET", "/schema/openapi.json"): PUBLIC,
    ("GET", "/schema/assets/{file_path:path}"): PUBLIC,
    ("HEAD", "/schema/assets/{file_path:path}"): PUBLIC,
    ("GET", "/schema/{path:str}"): PUBLIC,
}

# Litestar answers OPTIONS on every path by itself (`Allow`, nothing else). It needs what the path's methods
# need (every guarded path has one scope), so a path refuses other scopes whatever the method.
AUTOMATIC = "OPTIONS"

PATH_VALUES = {
    "order_id": "ord-scopes-1",
    "payment_id": "pay_missing",
    "id_or_reference": "tx_missing",
    "event_id": "whe_missing",
    "notification_id": "ntf_missing",
    "provider": "simulator",
    "slug": "not-found",
    "path": "nothing-here",
    "file_path": "api-docs.js",
    "key_id": "key_missing",
    "rest": "nothing-here",
}

CALLERS = ("no key", "revoked key", *SCOPES)


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    routes: set[tuple[str, str]] = set()
    for route in app.routes:
        assert isinstance(route, HTTPRoute), f"{route.path} is not an HTTP route: add it to this test"
        if route.path != CONSOLE and not route.path.startswith(f"{CONSOLE}/"):
            routes.update((method, route.path) for method in route.methods)
    return routes


def console_routes(app: Litestar) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in app.routes
        if route.path == CONSOLE or route.path.startswith(f"{CONSOLE}/")
        for method in route.methods
        if method != AUTOMATIC
    )


_APP = create_app(Settings(providers=("simulator",)))
APP_ROUTES = sorted(app_routes(_APP))
CONSOLE_ROUTES = console_routes(_APP)


def expected_scope(method: str, path: str) -> str:
    if method != AUTOMATIC:
        required = ROUTE_SCOPES.get((method, path))
        if required is None:
            pytest.fail(f"{method} {path} is not in ROUTE_SCOPES")
        return required
    on_path = {scope for (_, p), scope in ROUTE_SCOPES.items() if p == path}
    assert len(on_path) == 1, f"{path} mixes scopes {on_path}: decide what its OPTIONS needs"
    return on_path.pop()


def concrete(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace(f"{{{name}:str}}", value).replace(f"{{{name}:path}}", value)
    assert "{" not in path, f"no value for a path parameter of {path}: add it to PATH_VALUES"
    return path


def request_parts(method: str, path: str) -> dict[str, Any]:
    """A request the route would accept but for authentication: so any 401/403 comes from the scope check."""
    if path.endswith("/checkout") and method == "POST":
        return {"json": {"amount": 100, "currency": "USD"}}
    if path.endswith(("/refund", "/capture")):
        return {"json": {}, "headers": {"Idempotency-Key": uuid.uuid4().hex}}
    if path.endswith("/cancel"):
        return {"json": {}}
    if path.startswith("/api/v1/webhooks/"):
        return {"content": b"{}", "headers": {"Content-Type": "application/json"}}
    return {}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, api_keys: dict[str, str]
) -> Iterator[tuple[LiveServer, dict[str, str | None]]]:
    """One server for the module, with one key per scope (that scope only) and a revoked database key."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('scopes') / 'payments.db'}"
    migrate.upgrade(url)
    scoped = {scope: f"pk_scope_{scope.replace(':', '_')}_{uuid.uuid4().hex}" for scope in SCOPES}
    configured = tuple(ConfiguredApiKey(f"only-{scope}", key, (scope,)) for scope, key in scoped.items())
    keys: dict[str, str | None] = {"no key": None, "revoked key": asyncio.run(_revoked_key(url)), **scoped}
    unlimited = {"rate_limit_per_second": 1_000_000, "rate_limit_per_minute": 60_000_000}
    for live in serve(url, api_keys, api_keys=configured, webhook_rate_limit_per_second=1_000_000, **unlimited):
        yield live, keys


async def _revoked_key(url: str) -> str:
    engine = create_engine(url)
    try:
        store = SqlApiKeyStore(Database(engine), SortableIdGenerator())
        _, raw_key = await store.create("revoked-admin", ("admin",), datetime.now(UTC))
        assert await store.authenticate(raw_key) is not None  # a working key until now: refused for revocation
        assert await store.revoke("revoked-admin", datetime.now(UTC))
    finally:
        await engine.dispose()
    return raw_key


def test_every_route_is_in_the_table() -> None:
    routes = {route for route in APP_ROUTES if route[0] != AUTOMATIC}
    missing = sorted(routes - set(ROUTE_SCOPES))
    assert not missing, f"routes with no expected scope in ROUTE_SCOPES (mirror API.md): {missing}"
    stale = sorted(set(ROUTE_SCOPES) - routes)
    assert not stale, f"ROUTE_SCOPES names routes the app no longer has: {stale}"


def test_the_table_uses_known_scopes_only() -> None:
    assert set(ROUTE_SCOPES.values()) <= {PUBLIC, *SCOPES}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), APP_ROUTES, ids=[f"{m} {p}" for m, p in APP_ROUTES])
def test_route_answers_each_caller_as_documented(
    server: tuple[LiveServer, dict[str, str | None]], method: str, path: str, caller: str
) -> None:
    live, keys = server
    required = expected_scope(method, path)
    parts = request_parts(method, path)
    key = keys[caller]
    headers = {**parts.pop("headers", {}), **({"Authorization": f"Bearer {key}"} if key else {})}
    response = live.http.request(method, concrete(path), headers=headers, **parts)

    if required == PUBLIC or caller in (required, "admin"):
        assert response.status_code not in (401, 403), response.text
    elif key is None or caller == "revoked key":
        _assert_problem(live, response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"
    else:
        _assert_problem(live, response, 403, "forbidden")
        assert required in response.json()["detail"]


def _assert_problem(live: LiveServer, response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"{live.base_url}/problems/{slug}"
    assert body["status"] == status
    assert body["instance"] == response.request.url.path


def test_console_routes_take_no_api_key(server: tuple[LiveServer, dict[str, str | None]]) -> None:
    """An API key is no way into the console: without a session every page and action sends the browser to sign
    in (and changes nothing)."""
    live, keys = server
    assert len(CONSOLE_ROUTES) > len(CONSOLE_PUBLIC)
    for method, path in CONSOLE_ROUTES:
        if (method, path) in CONSOLE_PUBLIC:
            continue
        response = live.http.request(method, concrete(path), headers={"Authorization": f"Bearer {keys['admin']}"})
        assert (response.status_code, response.headers.get("location")) == (303, "/admin/login"), (method, path)
