"""Runs a fake provider (any ASGI app) on a free loopback port in a background thread, for as long as a test
needs it. Fake providers speak the real provider's wire format and sign with its real scheme; they never
reach the internet."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn


@contextmanager
def running(app: Any, health_path: str = "/__health") -> Iterator[str]:
    """Serves `app` (which must answer 200 on `health_path`) and yields its base URL, `http://127.0.0.1:<port>`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that name it, and without it every
    # response waits ~40 ms for delayed ACKs (Nagle), slowing every test that talks to the server
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, loop="asyncio", lifespan="off", log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-provider", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        with httpx.Client(timeout=1) as probe:  # one client: `httpx.get` builds a TLS context (~35 ms CPU) per call
            while True:
                try:
                    if probe.get(base_url + health_path).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or not thread.is_alive():
                    raise RuntimeError("the fake provider did not start")
                time.sleep(0.02)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
