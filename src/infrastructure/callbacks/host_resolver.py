"""Host-name lookups for the callback-destination check, through the system resolver the HTTP client uses too.

Deadlines are short: a name that takes longer than a couple of seconds to resolve is answered as not resolving
(a refused checkout, or a failed delivery attempt that is retried later) rather than holding a request open.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterable
from typing import Any

RESOLVE_TIMEOUT_SECONDS = 2.0


class AsyncioHostResolver:
    """The event loop's getaddrinfo (in its default thread pool), bounded by `timeout_seconds`."""

    def __init__(self, timeout_seconds: float = RESOLVE_TIMEOUT_SECONDS) -> None:
        self._timeout = timeout_seconds

    async def resolve(self, host: str) -> tuple[str, ...]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout=self._timeout)
        except (OSError, UnicodeError, TimeoutError):  # gaierror is an OSError; UnicodeError: a label too long
            return ()
        return _addresses(infos)


def resolve_blocking(host: str, timeout_seconds: float = RESOLVE_TIMEOUT_SECONDS) -> tuple[str, ...]:
    """For the check of PAYMENTS_ORDER_CALLBACK_URL at start-up, before any event loop runs. getaddrinfo has no
    deadline of its own, so it runs in a daemon thread: a hung resolver costs `timeout_seconds`, and never
    holds up the process's exit."""
    found: list[tuple[str, ...]] = []

    def look_up() -> None:
        try:
            found.append(_addresses(socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)))
        except (OSError, UnicodeError):
            found.append(())

    thread = threading.Thread(target=look_up, name="resolve-callback-host", daemon=True)
    thread.start()
    thread.join(timeout_seconds)
    return found[0] if found else ()


def _addresses(infos: Iterable[tuple[Any, ...]]) -> tuple[str, ...]:
    """The distinct addresses of getaddrinfo's answers, in its order (the order a client tries them in)."""
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))
