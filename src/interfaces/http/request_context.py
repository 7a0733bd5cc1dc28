"""Request id and trace id for every request, on every response, in every log line.

The edge middleware (edge.py) is plain ASGI and wraps the *whole* application (outside Litestar's router and
its exception handling), so unknown routes, 405s and errors carry `X-Request-ID` too. The ids live in a contextvar
(for logs, via `RequestContextFilter`) and in the ASGI scope's state (for problem bodies).
"""

from __future__ import annotations

import logging
import os
import random
import re
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar.types import Scope

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = b"x-request-id"
_TRACEPARENT = b"traceparent"
_VALID_REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,128}")
# W3C Trace Context: version-traceid-parentid-flags, lower-case hex; version ff and all-zero ids are invalid.
_TRACEPARENT_FORMAT = re.compile(rb"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE = b"0" * 32
_ZERO_PARENT = b"0" * 16


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    trace_id: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("payments_request_context", default=None)


def current_context() -> RequestContext | None:
    return _current.get()


def request_id_of(scope: Scope) -> str:
    """The id the middleware gave this request (a fresh one if it never ran, e.g. in a bare test app)."""
    state = scope.setdefault("state", {})
    request_id = state.get("request_id")
    if request_id is None:
        request_id = state["request_id"] = new_request_id()
    return str(request_id)


# A generator of the ids' own, seeded from the OS: not the module's global one, which a library or a test may
# seed (`random.seed(0)`, Hypothesis does it for every case) and so make request ids repeat. Reseeded in a child
# after fork; uvicorn's workers are fresh interpreters anyway.
_ids = random.Random()  # noqa: S311 - an id that correlates logs, never a secret
os.register_at_fork(after_in_child=_ids.seed)


def new_request_id() -> str:
    # 128 random bits as 32 hex digits, like uuid4().hex, without its os.urandom system call per request:
    # a request id correlates log lines and responses, it guards nothing.
    return f"{_ids.getrandbits(128):032x}"


def parse_traceparent(value: bytes) -> str | None:
    """The trace id of a valid W3C `traceparent`, else None (an invalid header is ignored, as the spec says)."""
    match = _TRACEPARENT_FORMAT.fullmatch(value.strip())
    if match is None:
        return None
    version, trace_id, parent_id, _flags = match.groups()
    if version == b"ff" or trace_id == _ZERO_TRACE or parent_id == _ZERO_PARENT:
        return None
    return trace_id.decode()


def incoming_context(scope: Scope) -> tuple[RequestContext, bytes, int]:
    """The request's ids (its own valid `X-Request-ID` or a new one; the trace id of a valid `traceparent`), the
    request id as the bytes echoed on the response, and the size of the request's headers (names and values, in
    bytes) for the edge's limit: counted in this one pass over the headers, which every request makes anyway.
    The ids are kept in the scope's state for problem bodies."""
    request_id: bytes | None = None
    trace_id: str | None = None
    header_bytes = 0
    for name, value in scope["headers"]:
        header_bytes += len(name) + len(value)
        if name == _REQUEST_ID:
            request_id = value if _VALID_REQUEST_ID.fullmatch(value) else None
        elif name == _TRACEPARENT:
            trace_id = parse_traceparent(value)
    raw_id = request_id if request_id is not None else new_request_id().encode()
    context = RequestContext(raw_id.decode("ascii"), trace_id)
    state = scope.setdefault("state", {})
    state["request_id"] = context.request_id
    state["trace_id"] = trace_id
    return context, raw_id, header_bytes


def enter_context(context: RequestContext) -> Token[RequestContext | None]:
    """Makes `context` the current one (for log lines) until `leave_context` with the token."""
    return _current.set(context)


def leave_context(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def echo_request_id(headers: list[tuple[bytes, bytes]], raw_id: bytes) -> None:
    headers.append((_REQUEST_ID, raw_id))


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `trace_id` to every record (None outside a request), for formatters to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        record.request_id = context.request_id if context else None
        record.trace_id = context.trace_id if context else None
        return True


def install_log_context(logger: logging.Logger | None = None) -> None:
    """Attaches the filter to the handlers of `logger` (the root logger by default), once each."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RequestContextFilter) for f in handler.filters):
            handler.addFilter(RequestContextFilter())
