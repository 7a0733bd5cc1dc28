"""httpcore's network backend on asyncio's own transports, for the worker's callback client.

httpcore's default backend goes through anyio: every read and write opens a cancel scope, and before each request
the pool asks every idle connection whether its socket is readable (a `select()` per connection per request).
In the worker's profile at 500 callbacks a second that socket layer was a fifth of its busy time. Here bytes
arrive through an `asyncio.Protocol`, so a read finds them already buffered, a timeout is one timer on the
event loop, and "is this idle connection readable" (did the receiver close it or send something unasked) is a
look at what the event loop has already delivered, not a system call.

Above it, callback_transport.py speaks HTTP/1.1 (h11) and keeps connections; the address check of
public_address_transport.py sits in front of `connect_tcp`.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any, cast

import httpcore

# Reading stops while this much is buffered unread (a receiver that answers with more than a callback needs);
# it resumes once httpcore has taken half of it.
_BUFFER_LIMIT = 256 * 1024
# httpcore's names for what a stream can tell → asyncio's names for it on a transport
_EXTRA_INFO = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername", "socket": "socket"}


class _Received(asyncio.Protocol):
    """What the event loop delivered on one connection: bytes not yet read, whether it ended, and why."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.ended = False  # the peer closed its side, or the connection is gone
        self.error: Exception | None = None
        self.transport: asyncio.Transport | None = None
        self._reading_paused = False
        self._writing_paused = False
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= _BUFFER_LIMIT and not self._reading_paused and self.transport is not None:
            self._reading_paused = True
            self.transport.pause_reading()
        _wake(self._readable)

    def eof_received(self) -> bool:
        self.ended = True
        _wake(self._readable)
        return False  # the transport closes itself: we never write after the peer's end

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended, self.error = True, exc
        _wake(self._readable)
        _wake(self._writable)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        _wake(self._writable)

    def take(self, max_bytes: int) -> bytes:
        if len(self.buffer) <= max_bytes:  # the usual case: all of it, one copy
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[:max_bytes])
            del self.buffer[:max_bytes]
        if self._reading_paused and len(self.buffer) < _BUFFER_LIMIT // 2 and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()
        return data

    async def until_readable(self, within_s: float | None) -> None:
        self._readable = asyncio.get_running_loop().create_future()
        try:
            await _within(self._readable, within_s, httpcore.ReadTimeout)
        finally:
            self._readable = None

    async def until_writable(self, within_s: float | None) -> None:
        if not self._writing_paused or self.ended:
            return
        self._writable = asyncio.get_running_loop().create_future()
        try:
            await _within(self._writable, within_s, httpcore.WriteTimeout)
        finally:
            self._writable = None


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _expire(waiter: asyncio.Future[None], error: Exception) -> None:
    if not waiter.done():
        waiter.set_exception(error)


async def _within(waiter: asyncio.Future[None], within_s: float | None, error: type[Exception]) -> None:
    """Awaits `waiter`, failing with `error` after `within_s` seconds: one timer, not a task or a cancel scope."""
    if within_s is None:
        await waiter
        return
    timer = asyncio.get_running_loop().call_later(within_s, _expire, waiter, error(f"timed out after {within_s} s"))
    try:
        await waiter
    finally:
        timer.cancel()


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, received: _Received) -> None:
        self._transport, self._received = transport, received

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 (httpcore's interface)
        received = self._received
        if not received.buffer and not received.ended:
            await received.until_readable(timeout)
        if received.buffer:  # what arrived before the end is still read
            return received.take(max_bytes)
        if received.error is not None:
            raise httpcore.ReadError(f"connection lost: {received.error}")
        return b""  # httpcore's "the peer closed the connection"

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109 (httpcore's interface)
        if not buffer:
            return
        if self._received.ended or self._transport.is_closing():
            raise httpcore.WriteError("connection closed")
        self._transport.write(buffer)
        await self._received.until_writable(timeout)  # at once unless the kernel's and the loop's buffers are full
        if self._received.error is not None:
            raise httpcore.WriteError(f"connection lost: {self._received.error}")

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._received, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"TLS handshake timed out after {timeout} s") from None
        except (OSError, ssl.SSLError) as error:  # ssl.SSLError is an OSError; named for the reader
            self._transport.close()
            raise httpcore.ConnectError(str(error)) from error
        if transport is None:  # asyncio's signature allows it: the connection ended during the handshake
            self._transport.close()
            raise httpcore.ConnectError("connection closed during the TLS handshake")
        self._received.transport = transport  # reading now pauses above TLS, where the decrypted bytes arrive
        return AsyncioStream(transport, self._received)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # asked of idle connections: anything delivered, or the end, means "do not reuse"
            return bool(self._received.buffer) or self._received.ended
        name = _EXTRA_INFO.get(info)
        return None if name is None else self._transport.get_extra_info(name)


class TcpOnlyBackend(httpcore.AsyncNetworkBackend):
    """A network backend of the callback client: callbacks only ever go over TCP."""

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("callbacks are never sent over a unix socket")


class AsyncioNetworkBackend(TcpOnlyBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, received = await loop.create_connection(
                    _Received, host, port, local_addr=(local_address, 0) if local_address else None
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"connecting to {host}:{port} timed out after {timeout} s") from None
        except OSError as error:
            raise httpcore.ConnectError(str(error)) from error
        for option in socket_options or ():  # asyncio already sets TCP_NODELAY
            transport.get_extra_info("socket").setsockopt(*option)
        return AsyncioStream(transport, received)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
