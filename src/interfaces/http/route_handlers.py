"""The route decorators every controller uses: Litestar's `get`, `post` and `head`, minus a copy per guard call.

Litestar 2.x runs each guard as `await guard(connection, copy(self))`: it shallow-copies the whole route handler
(dozens of attributes) for every guard on every request, so a guard cannot mutate the shared handler. A profile
of `GET /api/v1/orders/{id}/payment-status` put that copy at ~20 µs, about 15% of the request's CPU once the
read is cached. Our guards (`auth.requires(...)`, `rate_limiting.limit_webhooks`) never touch the handler they
are given, so these classes hand guards the handler itself. A guard that needs per-request state must keep it in
the connection's scope or state (as `auth.authenticate` does with the caller), never on the handler, which every
request to the route shares.

Routes must be declared with these decorators, not `litestar.get` & co.; a unit test fails on any route of the
app that is not a `NoCopyGuardsRouteHandler`. Litestar's own handlers (the automatic OPTIONS ones, the OpenAPI
pages) still copy: they are off the hot path.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import litestar
from litestar.handlers import HTTPRouteHandler

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection


class NoCopyGuardsRouteHandler(HTTPRouteHandler):
    """An HTTP route handler whose guards receive the handler itself rather than a shallow copy of it."""

    __slots__ = ()

    async def authorize_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        for guard in self.resolve_guards():
            # resolve_guards() wrapped every guard with ensure_async_callable, but types them as maybe-sync
            await guard(connection, self)  # type: ignore[misc]


# Subclassing Litestar's semantic decorator classes is deprecated for Litestar 3, where they become functions (and
# this module moves to a handler class of its own); the warning is about that migration, not about this code.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Semantic HTTP route handler classes", category=DeprecationWarning)

    class get(NoCopyGuardsRouteHandler, litestar.get):  # lower case: a drop-in for the decorator
        """`litestar.get` whose guards get the handler itself."""

    class post(NoCopyGuardsRouteHandler, litestar.post):
        """`litestar.post` whose guards get the handler itself."""

    class head(NoCopyGuardsRouteHandler, litestar.head):
        """`litestar.head` whose guards get the handler itself (and keep its no-body validation)."""


__all__ = ["NoCopyGuardsRouteHandler", "get", "head", "post"]
