"""Observes every HTTP request once: counts and times it for the metrics, and writes its access-log line.

One plain-ASGI middleware for both, because both need the same two facts (the status the app answered and how
long it took) and every request pays for each wrapper: one clock pair and one `send` wrapper, not two.
It sits just inside `RequestContextMiddleware`, so the log line is written while the request id and trace id
are still in the context and the formatter prints them; uvicorn's own access log is off (`payments serve`).

The route is the template Litestar matched (`/api/v1/payments/{payment_id}`), read from the scope after the
router has run, so a raw id never becomes a metric label. A request that matched no route (404, 405) is
`unmatched`, and an unknown method is counted as `other`: clients cannot grow the number of series.

Log fields: method, route, status, duration_ms, client (address only) and path (masked like every log message;
the query string is never logged). Headers and bodies are never read here; formatting happens in the handler,
and the line is skipped entirely when INFO is off.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Protocol

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "payments.access"
UNMATCHED_ROUTE = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

log = logging.getLogger(ACCESS_LOGGER)


class HttpMetrics(Protocol):
    def http_request(self, method: str, route: str, status: int, seconds: float) -> None: ...


class RequestObservationMiddleware:
    __slots__ = ("app", "metrics")

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        status = 500  # what the server answers when the application fails before starting a response
        started = time.perf_counter()

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            # set by Litestar's router on the scope we share with it; absent when nothing matched
            route = scope.get("path_template") or UNMATCHED_ROUTE
            method = scope["method"]
            self.metrics.http_request(method if method in _METHODS else "other", route, status, seconds)
            if log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                log.info(
                    "request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                        "client": client[0] if client else None,
                        "path": scope["path"],
                    },
                )
