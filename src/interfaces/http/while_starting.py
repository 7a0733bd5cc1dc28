"""What `payments serve` answers on its listening socket while it waits for the database at start, before the
app runs: `GET /health` 200 (the process is alive: a liveness probe must not kill it for waiting), and every
other request, `/ready` included, a 503 `service-unavailable` problem with `Retry-After` that says what it waits
for. A minimal HTTP/1.1 responder (one answer per connection, then close): the app itself cannot run yet, as
building it is what needs the database in development (the schema check, the development key).

It serves a duplicate of the listening socket, so closing it leaves the socket bound and listening for uvicorn:
connections not yet accepted wait in the backlog and are served by the app.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

from interfaces.http.problem_types import SERVICE_UNAVAILABLE
from interfaces.http.problems import PROBLEM_JSON, problem_body

RETRY_AFTER_SECONDS = 5
_HEAD_LIMIT = 16 * 1024
_READ_SECONDS = 5.0


@asynccontextmanager
async def answering_while_starting(
    listener: socket.socket, public_url: str, waiting_for: Callable[[], str]
) -> AsyncIterator[None]:
    """Answers on `listener` until the block ends; `waiting_for()` says, at each request, what the start waits for."""
    type_base = public_url.rstrip("/") + "/problems/"

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_SECONDS)
            method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0].split("?", 1)[0] or "/"
            writer.write(_response(method, path, type_base, waiting_for()))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # a client that sends no request, or goes away: nothing to answer
        finally:
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()

    listener.listen()
    server = await asyncio.start_server(answer, sock=listener.dup(), limit=_HEAD_LIMIT)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


def _response(method: str, path: str, type_base: str, waiting_for: str) -> bytes:
    if path == "/health":
        status, kind, body, extra = "200 OK", "application/json", b'{"status":"ok"}', ""
    else:
        detail = f"The service is not ready: it is starting, {waiting_for}"
        body = problem_body(
            SERVICE_UNAVAILABLE, detail, type_base=type_base, instance=path, request_id=secrets.token_hex(16)
        )
        status, kind, extra = "503 Service Unavailable", PROBLEM_JSON, f"retry-after: {RETRY_AFTER_SECONDS}\r\n"
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {len(body)}\r\n{extra}"
        "cache-control: no-store\r\nconnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + (b"" if method == "HEAD" else body)
