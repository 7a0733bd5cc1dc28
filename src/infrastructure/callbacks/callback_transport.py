"""httpx's transport for order callbacks: HTTP/1.1 with kept connections, h11 over the callback network backends.

httpx's own transport hands every request to httpcore's connection pool, which takes anyio locks, events and
shielded cancel scopes around each one (through sniffio): a fifth of the CPU of a callback in the worker's
profile, for machinery a worker posting small bodies to a few receivers does not need. This transport keeps it
simple: a list of idle connections per origin (asyncio runs one task at a time, so no lock), each request
written with h11 (the HTTP/1.1 state machine httpcore uses too), the answer handed back as it arrives. httpx
still builds the request (Host, Content-Length), applies the client's timeouts, and wraps the answer; the
tracing instrumentation wraps this transport as it wraps any.

A connection is reused only if the exchange ended cleanly on both sides (h11 says so: no `Connection: close`,
the answer read to its end) and, when taken again, it is not older than KEEPALIVE_EXPIRY_SECONDS idle and has
not been closed or written to by the receiver meanwhile (`is_readable`, which the asyncio backend answers from
what the event loop delivered).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import h11
import httpcore
import httpx

MAX_IDLE_PER_ORIGIN = 20
KEEPALIVE_EXPIRY_SECONDS = 5.0
_READ_SIZE = 64 * 1024
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
Origin = tuple[bytes, str, int]

# httpcore's errors (raised by the network backends) as httpx's, the way httpx's own transport maps them
_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (h11.RemoteProtocolError, httpx.RemoteProtocolError),
    (h11.LocalProtocolError, httpx.LocalProtocolError),
)


# A kept connection that fails before any answer arrived: the receiver closed it while it was idle, and the close
# crossed our request (a receiver's keep-alive timeout equal to ours, say). Sent again once on a new connection: a
# callback may arrive twice anyway (it is retried after any failure), and receivers tell them apart by their id.
_STALE = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        for theirs, ours in _ERRORS:
            if isinstance(error, theirs):
                raise ours(str(error)) from error
        raise


class _Connection:
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    async def send(self, request: httpx.Request, body: bytes, timeouts: dict[str, float | None]) -> h11.Response:
        head = h11.Request(method=request.method.encode(), target=request.url.raw_path, headers=request.headers.raw)
        events = (head, h11.Data(data=body), h11.EndOfMessage()) if body else (head, h11.EndOfMessage())
        await self.stream.write(b"".join(self.h11.send(event) or b"" for event in events), timeouts.get("write"))
        while True:
            event = await self.next_event(timeouts.get("read"))
            if isinstance(event, h11.Response):
                return event
            if not isinstance(event, h11.InformationalResponse):  # 1xx are skipped, as httpcore does
                raise h11.RemoteProtocolError(f"unexpected {type(event).__name__} before the response")

    async def next_event(self, read_timeout_s: float | None) -> Any:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self.stream.read(_READ_SIZE, read_timeout_s)
            if not data and self.h11.their_state is h11.SEND_RESPONSE:
                raise httpcore.ReadError("the receiver closed the connection without answering")
            self.h11.receive_data(data)

    def ready_for_next(self) -> bool:
        """Readies the connection for another exchange if this one ended cleanly on both sides (the answer read
        to its end, no `Connection: close`); False when it cannot be reused."""
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            return True
        return False


class _Answer(httpx.AsyncByteStream):
    """The response body as it arrives; read to its end, the connection goes back to the pool."""

    def __init__(self, transport: CallbackTransport, origin: Origin, connection: _Connection, timeout: float | None):
        self._transport, self._origin, self._connection, self._timeout = transport, origin, connection, timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            while True:
                event = await self._connection.next_event(self._timeout)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    return
                else:
                    raise h11.RemoteProtocolError(f"unexpected {type(event).__name__} in the response body")

    async def aclose(self) -> None:
        connection = self._connection
        if connection.ready_for_next():
            await self._transport.keep(self._origin, connection)
        else:  # an answer left unread (too long to bother with) or a broken exchange: never reused
            await connection.stream.aclose()


class CallbackTransport(httpx.AsyncBaseTransport):
    """No bound on connections open at once: the worker's delivery concurrency bounds them."""

    def __init__(
        self,
        backend: httpcore.AsyncNetworkBackend,
        *,
        ssl_context: ssl.SSLContext | None = None,
        keepalive_expiry_s: float = KEEPALIVE_EXPIRY_SECONDS,
    ) -> None:
        self._backend, self._expiry = backend, keepalive_expiry_s
        self._ssl_context = ssl_context if ssl_context is not None else httpx.create_ssl_context()
        self._idle: dict[Origin, list[_Connection]] = {}
        self._pruned_at = time.monotonic()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.raw_scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"callbacks go over http or https, not {url.scheme!r}")
        origin: Origin = (url.raw_scheme, url.host, url.port or _DEFAULT_PORTS[url.raw_scheme])
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = await request.aread()
        kept = await self._reusable(origin)
        if kept is not None:
            try:
                return await self._exchange(kept, origin, request, body, timeouts)
            except _STALE:  # the receiver closed it as we sent: once more, on a new connection (see _STALE)
                pass
        return await self._exchange(await self._connect(origin, timeouts), origin, request, body, timeouts)

    async def _exchange(
        self,
        connection: _Connection,
        origin: Origin,
        request: httpx.Request,
        body: bytes,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        try:
            with _as_httpx_errors():
                response = await connection.send(request, body, timeouts)
        except BaseException:
            await connection.stream.aclose()
            raise
        return httpx.Response(
            response.status_code,
            headers=response.headers.raw_items(),
            stream=_Answer(self, origin, connection, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": response.reason},
        )

    async def keep(self, origin: Origin, connection: _Connection) -> None:
        """Back among the idle ones, unless there are enough of those already. Once per expiry period the idle
        ones past it are closed, whatever their origin: receivers come and go (each checkout may name its own),
        and one never posted to again must not keep its connections open."""
        now = time.monotonic()
        if now - self._pruned_at >= self._expiry:
            self._pruned_at = now
            await self._close_idle(lambda idle: now - idle.idle_since >= self._expiry)
        idle = self._idle.setdefault(origin, [])
        if len(idle) >= MAX_IDLE_PER_ORIGIN:
            await connection.stream.aclose()
            return
        connection.idle_since = now
        idle.append(connection)

    async def _close_idle(self, which: Callable[[_Connection], bool]) -> None:
        closing: list[_Connection] = []
        for origin, idle in list(self._idle.items()):  # taken out of the pool first, closed after
            closing += [connection for connection in idle if which(connection)]
            kept = [connection for connection in idle if not which(connection)]
            if kept:
                self._idle[origin] = kept
            else:
                del self._idle[origin]
        for connection in closing:
            await connection.stream.aclose()

    async def _reusable(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()  # the most recently used: the likeliest to be open still
            # not idle too long, and nothing arrived meanwhile (the receiver's close, or bytes never asked for)
            if now - connection.idle_since < self._expiry and not connection.stream.get_extra_info("is_readable"):
                return connection
            await connection.stream.aclose()
        return None

    async def _connect(self, origin: Origin, timeouts: dict[str, float | None]) -> _Connection:
        scheme, host, port = origin
        with _as_httpx_errors():
            stream = await self._backend.connect_tcp(host, port, timeout=timeouts.get("connect"))
            if scheme == b"https":
                stream = await stream.start_tls(
                    self._ssl_context, server_hostname=host, timeout=timeouts.get("connect")
                )
        return _Connection(stream)

    async def aclose(self) -> None:
        await self._close_idle(lambda idle: True)
