"""Every route that takes a request body refuses what it must not take, over real HTTP, and changes nothing.

Oversized bodies are `413 payload-too-large`, anything but JSON is `415 unsupported-media-type`, unknown fields
are `422 validation-error` naming the field; afterwards every table holds exactly what it held before (no
payment, refund, webhook event or idempotency key was written). The routes come from the app object: a new
route that takes a body must be added to `BODY_ROUTES`, and one that takes none to `NO_BODY_ROUTES`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar.routes import HTTPRoute
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.db import migrate
from infrastructure.db.tables import metadata
from infrastructure.providers.signing import sign
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.controllers.webhooks import WEBHOOK_MIN_BODY_LIMIT
from tests.e2e.conftest import WEBHOOK_SECRET, LiveServer, serve

CHECKOUT = ("POST", "/api/v1/orders/{order_id:str}/checkout")
REFUND = ("POST", "/api/v1/payments/{payment_id:str}/refund")
CAPTURE = ("POST", "/api/v1/payments/{payment_id:str}/capture")
CANCEL = ("POST", "/api/v1/payments/{payment_id:str}/cancel")
WEBHOOK = ("POST", "/api/v1/webhooks/{provider:str}")

# route → (kind, unknown-field bodies with the JSON Pointer each must name). Webhooks are the providers'
# documents: they are verified, not validated field by field, and providers add fields without notice.
BODY_ROUTES: dict[tuple[str, str], tuple[str, list[tuple[dict[str, Any], str]]]] = {
    CHECKOUT: (
        "json",
        [
            ({"amount": 100, "currency": "USD", "bogus": 1}, "/bogus"),
            (
                {"amount": 100, "currency": "USD", "customer": {"email": "a@example.com", "bogus": "x"}},
                "/customer/bogus",
            ),
        ],
    ),
    REFUND: ("json", [({"amount": 100, "bogus": True}, "/bogus")]),
    CAPTURE: ("json", [({"amount": 100, "bogus": True}, "/bogus")]),
    CANCEL: ("json", [({"reason": "x", "bogus": True}, "/bogus")]),
    WEBHOOK: ("raw", []),
}
# POST routes that take no body: one sent is never read (so never parsed, never limited beyond the server's)
NO_BODY_ROUTES = {
    ("POST", "/api/v1/webhook-events/{event_id:str}/replay"),
    ("POST", "/api/v1/notifications/{notification_id:str}/retry"),
    ("POST", "/api/v1/reconciliation/runs"),
    ("POST", "/simulator/checkout/{payment_id:str}/pay"),
    ("POST", "/simulator/checkout/{payment_id:str}/authorize"),
    ("POST", "/simulator/checkout/{payment_id:str}/decline"),
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The console's forms (interfaces/admin): HTML form posts read with request.form(), each checked for its CSRF
# token before anything else (tests/e2e/test_admin_console.py); capped like every body (below).
CONSOLE = "/admin/"
_JSON = {"Content-Type": "application/json"}

APP = create_app(Settings(providers=("simulator",)))


def test_every_route_that_may_take_a_body_is_classified() -> None:
    routes: dict[tuple[str, str], bool] = {}
    for route in APP.routes:
        assert isinstance(route, HTTPRoute)
        for handler in route.route_handlers:
            for method in handler.http_methods & BODY_METHODS:
                routes[(method, route.path)] = "data" in handler.parsed_fn_signature.parameters
    forms = {route for route in routes if route[1].startswith(CONSOLE)}
    assert forms, "the console's forms are classified apart"
    assert not any(takes_data for route, takes_data in routes.items() if route in forms)  # read as forms, not JSON
    assert set(routes) - forms == set(BODY_ROUTES) | NO_BODY_ROUTES
    assert not set(BODY_ROUTES) & NO_BODY_ROUTES
    parsed = {route for route, takes_data in routes.items() if takes_data}
    assert parsed == {route for route, (kind, _) in BODY_ROUTES.items() if kind == "json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('bodies') / 'payments.db'}"
    migrate.upgrade(url)
    yield from serve(url, api_keys)


@pytest.fixture(scope="module")
def paid_payment_id(server: LiveServer) -> str:
    """A refundable payment, so a refund that got through would change the database."""
    return str(server.paid_payment(f"ord-bodies-{uuid.uuid4().hex[:8]}")["id"])


def payment_the_route_acts_on(server: LiveServer, route: tuple[str, str], paid_payment_id: str) -> str:
    """Capture takes an authorized payment and cancel an open checkout; the others act on the paid payment."""
    if route not in (CAPTURE, CANCEL):
        return paid_payment_id
    capture = "manual" if route == CAPTURE else "automatic"
    created = server.checkout(f"ord-bodies-{uuid.uuid4().hex[:8]}", 5000, "USD", capture=capture)
    assert created.status_code == 201, created.text
    payment_id: str = created.json()["id"]
    if route == CAPTURE:
        data = {"payment_id": payment_id, "amount": 5000, "currency": "USD"}
        assert server.simulator_webhook("payment.authorized", data).status_code == 200
    return payment_id


def good_body(route: tuple[str, str], payment_id: str, **extra: Any) -> bytes:
    """A body the route takes (for the webhook: a real simulator event about the paid payment)."""
    if route == CHECKOUT:
        return json.dumps({"amount": 100, "currency": "USD", **extra}).encode()
    if route in (REFUND, CAPTURE):
        return json.dumps({"amount": 100, **extra}).encode()
    if route == CANCEL:
        return json.dumps({"reason": "the order was cancelled", **extra}).encode()
    data = {"payment_id": payment_id, "amount": 5000, "currency": "USD"}
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": "payment.succeeded", "created": int(time.time()), "data": data}
    return json.dumps({**event, **extra}).encode()


def target(route: tuple[str, str], payment_id: str, body: bytes) -> tuple[str, dict[str, str]]:
    """The URL and headers of a request that is taken but for the body's size, type or fields (the webhook is
    signed correctly, so a refusal cannot come from its signature)."""
    if route == CHECKOUT:
        return f"/api/v1/orders/ord-{uuid.uuid4().hex[:10]}/checkout", {"Idempotency-Key": uuid.uuid4().hex}
    if route in (REFUND, CAPTURE, CANCEL):
        action = route[1].rsplit("/", 1)[1]
        return f"/api/v1/payments/{payment_id}/{action}", {"Idempotency-Key": uuid.uuid4().hex}
    return "/api/v1/webhooks/simulator", {"Simulator-Signature": sign(WEBHOOK_SECRET, body, int(time.time()))}


def limit_of(route: tuple[str, str], server: LiveServer) -> int:
    max_body = server.settings.max_body_bytes
    return max(max_body, WEBHOOK_MIN_BODY_LIMIT) if route == WEBHOOK else max_body


def database(server: LiveServer) -> dict[str, list[tuple[Any, ...]]]:
    async def read() -> dict[str, list[tuple[Any, ...]]]:
        engine = create_async_engine(server.settings.database_url)
        try:
            async with engine.connect() as connection:
                return {
                    table.name: sorted(map(tuple, (await connection.execute(sa.select(table))).all()), key=repr)
                    for table in metadata.sorted_tables
                }
        finally:
            await engine.dispose()

    return asyncio.run(read())


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(f"/problems/{slug}")
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body


ROUTE_IDS = [f"{method} {path}" for method, path in BODY_ROUTES]


@pytest.mark.parametrize("route", list(BODY_ROUTES), ids=ROUTE_IDS)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_payload_too_large(
    server: LiveServer, paid_payment_id: str, route: tuple[str, str], chunked: bool
) -> None:
    body = good_body(route, paid_payment_id, description="x" * limit_of(route, server))
    url, headers = target(route, paid_payment_id, body)
    before = database(server)
    content: bytes | Iterator[bytes] = iter([body[:1000], body[1000:]]) if chunked else body
    response = server.http.post(url, content=content, headers={**server.auth("admin"), **headers, **_JSON})
    assert_problem(response, 413, "payload-too-large")
    assert database(server) == before


@pytest.mark.parametrize("route", list(BODY_ROUTES), ids=ROUTE_IDS)
@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_json_is_unsupported_media_type(
    server: LiveServer, paid_payment_id: str, route: tuple[str, str], content_type: str | None
) -> None:
    body = good_body(route, paid_payment_id)
    url, headers = target(route, paid_payment_id, body)
    if content_type is not None:
        headers["Content-Type"] = content_type
    before = database(server)
    response = server.http.post(url, content=body, headers={**server.auth("admin"), **headers})
    problem = assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in problem["detail"]
    assert database(server) == before


UNKNOWN_FIELD_CASES = [
    pytest.param(route, body, pointer, id=f"{route[0]} {route[1]} {pointer}")
    for route, (_, cases) in BODY_ROUTES.items()
    for body, pointer in cases
]


@pytest.mark.parametrize(("route", "body", "pointer"), UNKNOWN_FIELD_CASES)
def test_an_unknown_field_is_a_validation_error_naming_it(
    server: LiveServer, paid_payment_id: str, route: tuple[str, str], body: dict[str, Any], pointer: str
) -> None:
    url, headers = target(route, paid_payment_id, json.dumps(body).encode())
    before = database(server)
    response = server.http.post(url, json=body, headers={**server.auth("admin"), **headers})
    problem = assert_problem(response, 422, "validation-error")
    assert [error["pointer"] for error in problem["errors"]] == [pointer]
    field = pointer.rsplit("/", 1)[1]
    assert field in problem["errors"][0]["detail"]
    assert field in problem["detail"]
    assert database(server) == before


@pytest.mark.parametrize("route", list(BODY_ROUTES), ids=ROUTE_IDS)
def test_the_same_requests_with_good_bodies_do_change_the_database(
    server: LiveServer, paid_payment_id: str, route: tuple[str, str]
) -> None:
    """The refusals above are refusals of the body: the same request with a good JSON body is taken."""
    payment_id = payment_the_route_acts_on(server, route, paid_payment_id)
    body = good_body(route, payment_id)
    url, headers = target(route, payment_id, body)
    before = database(server)
    response = server.http.post(url, content=body, headers={**server.auth("admin"), **headers, **_JSON})
    assert response.status_code in (200, 201, 202), response.text
    assert database(server) != before


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_console_form_over_the_limit_is_refused_before_it_is_read(server: LiveServer, chunked: bool) -> None:
    body = b"api_key=" + b"x" * server.settings.max_body_bytes
    content: bytes | Iterator[bytes] = iter([body[:1000], body[1000:]]) if chunked else body
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    before = database(server)
    response = server.http.post("/admin/login", content=content, headers=headers)
    assert response.status_code == 413
    assert database(server) == before
