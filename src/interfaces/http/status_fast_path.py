"""`GET /api/v1/orders/{order_id}/payment-status` answered without Litestar's per-request machinery when it can.

The endpoint is polled: order systems ask about every order in flight again and again, and with the status
cache (infrastructure/db/read/status_cache.py) an answer costs no database work, so Litestar's own per-request work
(request object, guards, dependency injection, signature model, response pipeline) was most of what was
left: a cached read cost ~3.4x a bare "hello" route (bench/).

This plain-ASGI step, just inside the edge middleware (so the response gets the same request id, RateLimit-*,
security headers, metrics and access log), answers the one ordinary case itself: a well-formed order id, a
known key with `payments:read`, admitted by the rate limit, and an order that has a payment. It uses the very
same pieces as the route: `auth.authenticate`, `rate_limiting.limit_caller` (which count once per request,
leaving the caller and the decision in the scope's state), the bus with `GetPaymentStatus`, and the route's
`PaymentStatusResponse` encoded by Litestar's own encoder, so the bytes are the route's bytes.

Anything else falls through to the Litestar route, which answers it as it always has: a missing or unknown key
(401), a missing scope (403), 429 (the decision in the state is re-raised, not counted again), an invalid id
(422), an order without a payment (404), an unavailable store (503), HEAD and OPTIONS. The route stays the
documented one in the OpenAPI schema; `tests/e2e/test_status_fast_path.py` holds the two answer for answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.serialization import encode_json

from application.queries.get_payment_status import GetPaymentStatus
from interfaces.http.auth import authenticate
from interfaces.http.controllers.payments import READ_SCOPE
from interfaces.http.rate_limiting import limit_caller
from interfaces.http.schemas.common import ORDER_ID_PATTERN
from interfaces.http.schemas.payments import PaymentStatusResponse

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

    from application.bus import MessageBus

PREFIX = "/api/v1/orders/"
SUFFIX = "/payment-status"
# What Litestar's router writes in `scope["path_template"]` for the route (its path format: parameters without
# their types), so the metrics and the access log count both ways of answering as one route.
ROUTE_TEMPLATE = "/api/v1/orders/{order_id}/payment-status"
_ORDER_ID = re.compile(ORDER_ID_PATTERN)  # the route's own validation, so a bad id falls through to its 422
_JSON = (b"content-type", b"application/json")


class StatusReadFastPath:
    __slots__ = ("_bus", "app")

    def __init__(self, app: ASGIApp, bus: Callable[[], MessageBus]) -> None:
        self.app, self._bus = app, bus  # the root's provider: built on first use, then the same bus

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET":
            path = scope["path"]
            if path.startswith(PREFIX) and path.endswith(SUFFIX):
                body = await self._answer(scope, path[len(PREFIX) : -len(SUFFIX)])
                if body is not None:
                    scope["path_template"] = ROUTE_TEMPLATE
                    headers = [_JSON, (b"content-length", str(len(body)).encode())]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": body, "more_body": False})
                    return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, order_id: str) -> bytes | None:
        """The response body if this is an ordinary, admitted read of an existing payment; else None, and the
        route answers (and explains) it."""
        if _ORDER_ID.fullmatch(order_id) is None:
            return None
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        try:
            caller = await authenticate(connection)
            if not caller.allows(READ_SCOPE):
                return None
            await limit_caller(connection, caller)
            view = await self._bus().send(GetPaymentStatus(order_id))
        except Exception:  # 401, 429, not found, store down, anything: the route answers with its problem
            return None
        return encode_json(PaymentStatusResponse.from_view(view))
