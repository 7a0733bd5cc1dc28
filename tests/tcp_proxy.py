"""A TCP forwarder on a local port, started when a test says so: a database that "comes up" later without
stopping the shared Postgres server (the processes under test are pointed at the proxy's port, which refuses
connections until the proxy starts)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


@contextmanager
def forwarding(listen_port: int, target_host: str, target_port: int) -> Iterator[None]:
    """Forwards 127.0.0.1:`listen_port` to the target until the block ends."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    server: asyncio.Server | None = None

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def connect(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

    async def start() -> None:
        nonlocal server
        server = await asyncio.start_server(connect, "127.0.0.1", listen_port, reuse_address=True)
        ready.set()

    async def stop() -> None:  # no more connections, and those open are cut
        if server is not None:
            server.close()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    thread = threading.Thread(target=loop.run_forever, name="tcp-proxy", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    ready.wait(10)
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
