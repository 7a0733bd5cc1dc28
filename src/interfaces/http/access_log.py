"""One log line per HTTP request, in place of uvicorn's access log (which `payments serve` turns off).

Plain ASGI, wrapped just inside `RequestContextMiddleware`, so the line is written while the request id and
trace id are still in the context and the formatter prints them. It sits on every request's path, so it only
notes the status, reads a clock twice and hands the logger plain values; formatting happens in the handler.

Fields: method, route (Litestar's matched path template, e.g. `/api/v1/payments/{payment_id}`, or `unmatched`
when no route matched, including 404 and 405), status, duration_ms, client (address only) and path (masked
like every log message; the query string is never logged). Headers and bodies are never read here.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "payments.access"
UNMATCHED_ROUTE = "unmatched"

log = logging.getLogger(ACCESS_LOGGER)


class AccessLogMiddleware:
    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not log.isEnabledFor(logging.INFO):
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
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            client = scope.get("client")
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    # set by Litestar's router on the scope we share with it; absent when nothing matched
                    "route": scope.get("path_template") or UNMATCHED_ROUTE,
                    "status": status,
                    "duration_ms": duration_ms,
                    "client": client[0] if client else None,
                    "path": scope["path"],
                },
            )
