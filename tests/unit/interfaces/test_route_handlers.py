"""Our route decorators: every route of the app is declared with them, and their guards get the handler itself.

Litestar's own decorators give each guard a fresh copy of the handler on every request (~20 µs on the status
read); `interfaces.http.route_handlers` exists to avoid that, so a controller importing `litestar.get` would
quietly bring the cost back. These tests catch that and prove the no-copy path on real requests.
"""

from __future__ import annotations

from typing import Any

import litestar
import pytest
from litestar import Controller, Litestar, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import ImproperlyConfiguredException, PermissionDeniedException
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_403_FORBIDDEN
from litestar.testing import AsyncTestClient
from litestar.types import Method

from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.route_handlers import NoCopyGuardsRouteHandler, get, head, post


def route_handlers(app: Litestar) -> list[tuple[str, HTTPRouteHandler]]:
    handlers: list[tuple[str, HTTPRouteHandler]] = []
    for route in app.routes:
        assert isinstance(route, HTTPRoute), f"{route.path} is not an HTTP route: extend this test"
        handlers.extend((route.path, handler) for handler in route.route_handlers)
    return handlers


def copying_handlers(app: Litestar) -> list[str]:
    """Routes declared by our code with a handler class that copies itself for its guards.

    Litestar's own handlers (each path's automatic OPTIONS handler, the OpenAPI pages) are theirs to declare."""
    return [
        f"{sorted(handler.http_methods)} {path} ({type(handler).__module__}.{type(handler).__qualname__})"
        for path, handler in route_handlers(app)
        if not handler.fn.__module__.startswith("litestar.") and not isinstance(handler, NoCopyGuardsRouteHandler)
    ]


def test_every_route_of_the_app_is_declared_with_the_no_copy_decorators() -> None:
    app = create_app(Settings(providers=("simulator",)))  # the simulator adds its checkout pages
    assert copying_handlers(app) == []
    ours = {
        (method, path)
        for path, handler in route_handlers(app)
        if isinstance(handler, NoCopyGuardsRouteHandler)
        for method in handler.http_methods
    }
    # the hot read, a guarded write, the webhooks' rate-limit guard, HEAD probes and the simulator pages are in
    assert {
        ("GET", "/api/v1/orders/{order_id:str}/payment-status"),
        ("POST", "/api/v1/payments/{payment_id:str}/refund"),
        ("POST", "/api/v1/webhooks/{provider:str}"),
        ("HEAD", "/health"),
        ("POST", "/simulator/checkout/{payment_id:str}/pay"),
        ("POST", "/simulator/checkout/{payment_id:str}/authorize"),
    } <= ours


def test_a_route_declared_with_litestars_own_decorator_is_caught() -> None:
    @litestar.get("/copied", sync_to_thread=False)
    def copied() -> None:
        return None

    @get("/shared", sync_to_thread=False)
    def shared() -> None:
        return None

    app = Litestar(route_handlers=[copied, shared])
    assert copying_handlers(app) == [
        "['GET'] /copied (litestar.handlers.http_handlers.decorators.get)",
    ]


def test_the_decorators_are_litestars_own_underneath() -> None:
    # isinstance checks inside Litestar (HEAD's no-body rule included) see the semantic classes they know
    assert issubclass(get, litestar.get)
    assert issubclass(post, litestar.post)
    assert issubclass(head, litestar.head)

    def with_body() -> dict[str, str]:
        return {}

    handler = head("/with-body", sync_to_thread=False)(with_body)
    with pytest.raises(ImproperlyConfiguredException, match="HEAD"):
        Litestar(route_handlers=[handler])


class Recorder:
    """Guards that note which handler object they were given, and may refuse."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, BaseRouteHandler]] = []

    def guard(self, name: str, *, allow: bool = True) -> Any:
        async def guard(_: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
            self.seen.append((name, handler))
            if not allow:
                raise PermissionDeniedException("refused by the test guard")

        return guard


def served_handler(app: Litestar, method: Method, path: str) -> HTTPRouteHandler:
    """The handler object the app dispatches `method path` to (a copy of the one declared, made at start-up)."""
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path == path:
            return route.route_handler_map[method][0]
    raise AssertionError(f"no route {method} {path}")


@pytest.mark.parametrize(("decorator", "method", "status"), [
    (get, "GET", HTTP_200_OK),
    (post, "POST", HTTP_201_CREATED),
    (head, "HEAD", HTTP_204_NO_CONTENT),
])  # fmt: skip
async def test_guards_receive_the_served_handler_itself_on_every_request(
    decorator: type[get | post | head], method: Method, status: int
) -> None:
    recorder = Recorder()

    class Things(Controller):
        path = "/things"
        guards = [recorder.guard("controller")]

        @decorator("/{thing_id:str}", guards=[recorder.guard("route")], status_code=status, sync_to_thread=False)
        def thing(self, thing_id: FromPath[str]) -> Response[None]:
            return Response(None, status_code=status)

    app = Litestar(route_handlers=[Things])
    served = served_handler(app, method, "/things/{thing_id:str}")
    assert isinstance(served, decorator)
    async with AsyncTestClient(app=app) as client:
        for _ in range(2):
            assert (await client.request(method, "/things/t1")).status_code == status

    assert [name for name, _ in recorder.seen] == ["controller", "route"] * 2  # outer layer first, as before
    assert all(handler is served for _, handler in recorder.seen)


async def test_a_refusing_guard_still_stops_the_request_before_the_handler() -> None:
    recorder = Recorder()
    ran: list[str] = []

    @get("/secret", guards=[recorder.guard("deny", allow=False), recorder.guard("after")], sync_to_thread=False)
    def secret() -> dict[str, str]:
        ran.append("handler")
        return {"secret": "no"}

    app = Litestar(route_handlers=[secret])
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/secret")

    assert response.status_code == HTTP_403_FORBIDDEN
    assert [name for name, _ in recorder.seen] == ["deny"]
    assert recorder.seen[0][1] is served_handler(app, "GET", "/secret")
    assert ran == []


async def test_litestars_own_decorator_hands_guards_a_copy() -> None:
    """The behaviour the module works around: if Litestar stops copying, route_handlers.py can go."""
    recorder = Recorder()

    @litestar.get("/copied", guards=[recorder.guard("copied")], sync_to_thread=False)
    def copied() -> None:
        return None

    app = Litestar(route_handlers=[copied])
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/copied")).status_code == HTTP_200_OK

    [(_, given)] = recorder.seen
    served = served_handler(app, "GET", "/copied")
    assert given is not served
    assert type(given) is type(served)
