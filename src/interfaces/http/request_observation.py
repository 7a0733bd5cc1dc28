"""Observes every HTTP request once: counts and times it for the metrics, and writes its access-log line.

Called by the edge middleware (edge.py) once per request, because both need the same two facts (the status the
app answered and how long it took): one clock pair, no wrapper of its own. It runs while the request's context
is still current, so the formatter prints the request id and trace id; uvicorn's own access log is off
(`payments serve`).

The route is the template Litestar matched (`/api/v1/payments/{payment_id}`), read from the scope after the
router has run, so a raw id never becomes a metric label. A request that matched no route (404, 405) is
`unmatched`, and an unknown method is counted as `other`: clients cannot grow the number of series.

Log fields: method, route, status, duration_ms, client (address only) and path (masked like every log message;
the query string is never logged). Headers and bodies are never read here; formatting happens in the handler,
and the line is skipped entirely when INFO is off.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from litestar.types import HTTPScope

ACCESS_LOGGER = "payments.access"
UNMATCHED_ROUTE = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

log = logging.getLogger(ACCESS_LOGGER)


class HttpMetrics(Protocol):
    def http_request(self, method: str, route: str, status: int, seconds: float) -> None: ...


class RequestObserver:
    """Counts, times and logs one finished request (the edge middleware calls it once per request)."""

    __slots__ = ("metrics",)

    def __init__(self, metrics: HttpMetrics) -> None:
        self.metrics = metrics

    def observe(self, scope: HTTPScope, status: int, seconds: float) -> None:
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
