"""The edge: one plain-ASGI middleware around the whole application, doing what every response needs.

Per request, in this order: the request context (its id and trace id, current for log lines and kept in the
scope's state), the header-size limit (headers over `MAX_HEADER_BYTES` are answered `431 headers-too-large`
here, before routing: the ASGI server hands over headers of any size, and nothing inside should have to parse a
20 MB `Authorization`), then the app, then on the response start the RateLimit-* headers of the guard's decision
(API paths), `X-Request-ID` and the security headers (those the route did not set itself); when the app is
done, the request is counted, timed and logged while its context is still current.

It wraps Litestar's router and exception handling, so unknown routes, 405s and unhandled errors get all of it.
One middleware rather than four because every wrapper costs each request a coroutine frame, a closure and an
awaited call per message (the four, work included, were ~20% of a cached status read's CPU; the saving from
merging them was within the benchmark's noise, but it is never negative). The pieces themselves
live with their subjects: request_context.py, rate_limiting.py, security_headers.py, request_observation.py.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from litestar.enums import ScopeType

from interfaces.http.problem_types import HEADERS_TOO_LARGE
from interfaces.http.problems import PROBLEM_JSON, problem_body
from interfaces.http.rate_limiting import decision_headers
from interfaces.http.request_context import echo_request_id, enter_context, incoming_context, leave_context
from interfaces.http.request_observation import HttpMetrics, RequestObserver
from interfaces.http.security_headers import SecurityHeaders

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send


# The request's header names and values together, in bytes: far above what a client of this API sends (a key, a
# signature, a traceparent: well under 1 KiB), small enough that no header can make the service do real work.
MAX_HEADER_BYTES = 16 * 1024


class EdgeMiddleware:
    __slots__ = ("_observer", "_problem_type_base", "_security", "app")

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        https: bool,
        docs_path: str = "/schema",
        problem_type_base: str = "/problems/",
    ) -> None:
        self.app = app
        self._observer = RequestObserver(metrics)
        self._security = SecurityHeaders(https=https, docs_path=docs_path)
        self._problem_type_base = problem_type_base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        context, raw_id, header_bytes = incoming_context(scope)
        state = scope["state"]  # made by incoming_context; the guards leave their rate-limit decision in it
        path = scope["path"]
        api = path.startswith("/api/")
        security = self._security
        status = 500  # what the server answers when the application fails before starting a response

        async def send_at_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if api:
                    headers.extend(decision_headers(state))
                echo_request_id(headers, raw_id)
                security.add(path, headers)
                message["headers"] = headers
            await send(message)

        token = enter_context(context)
        started = time.perf_counter()
        try:
            if header_bytes > MAX_HEADER_BYTES:
                await self._headers_too_large(path, context.request_id, header_bytes, send_at_edge)
            else:
                await self.app(scope, receive, send_at_edge)
        finally:
            self._observer.observe(scope, status, time.perf_counter() - started)
            leave_context(token)

    async def _headers_too_large(self, path: str, request_id: str, header_bytes: int, send: Send) -> None:
        detail = f"The request's headers add up to {header_bytes} bytes; at most {MAX_HEADER_BYTES} are accepted."
        body = problem_body(
            HEADERS_TOO_LARGE, detail, type_base=self._problem_type_base, instance=path, request_id=request_id
        )
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": HEADERS_TOO_LARGE.status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
