"""Counts and times every HTTP request, labelled by method, route template and status: plain ASGI, no
Litestar middleware machinery on the hot path.

The route is the template Litestar matched (`/api/v1/payments/{payment_id}`), read from the scope after the
router has run, so a raw id never becomes a label. A request that matched no route (404, 405) is counted under
one label, `unmatched`, and an unknown method under `other`: clients cannot grow the number of series.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetrics(Protocol):
    def http_request(self, method: str, route: str, status: int, seconds: float) -> None: ...


class HttpMetricsMiddleware:
    __slots__ = ("app", "metrics")

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an app that fails before answering: the server answers 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "other"
            # the router writes the matched template into this same scope; absent when nothing matched
            route = scope.get("path_template") or UNMATCHED
            self.metrics.http_request(method, route, status, time.perf_counter() - started)
