"""Kept connections whose next transaction is already open: their last COMMIT was sent as `COMMIT; BEGIN`.

Under load a kept connection's next use is a transaction within milliseconds, and its BEGIN was a round trip of
its own: the request waited for it behind every other request's work on both processes (~2 ms of a webhook's
~12 ms at 16 concurrent in the benchmark). Sent with the previous COMMIT it costs nothing. The transaction opened
ahead holds nothing: no transaction id, no snapshot and no lock until its first statement (which takes its own
snapshot under READ COMMITTED, as it would after its own BEGIN), so it delays no vacuum and blocks no DDL.
Statements take their times from the application's clock, never from the database's `now()` (which would be
the previous commit's time).

What it costs is a session shown `idle in transaction`: each is ended (ROLLBACK) once `BEGUN_FOR` old, so a
quiet service leaves none for long, and a server's `idle_in_transaction_session_timeout` under that would end
them first (the connection is then seen closed and replaced, database.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Generic, TypeVar

BEGUN_FOR = 1.0
"""Seconds a transaction opened ahead waits for its use before it is ended: under load connections are reused
within milliseconds, so this only ends those of a quiet service."""

K = TypeVar("K")


class BegunAhead(Generic[K]):
    """The kept connections with a transaction open, newest last; `end` is given those that were not used in time."""

    def __init__(self, end: Callable[[list[K]], Coroutine[Any, Any, None]]) -> None:
        self._kept: deque[tuple[float, K]] = deque()
        self._end = end
        self._timer: asyncio.TimerHandle | None = None
        self._ending: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._kept)

    def __iter__(self) -> Iterator[K]:
        return (connection for _, connection in self._kept)

    def keep(self, connection: K) -> None:
        self._kept.append((time.monotonic(), connection))
        if self._timer is None:
            self._timer = self._call_later(BEGUN_FOR)

    def take(self) -> K | None:
        """The connection given back last: the most likely to be alive and warm."""
        return self._kept.pop()[1] if self._kept else None

    async def close(self) -> list[K]:
        """Stops the expiry; every connection still kept, for the caller to end."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await asyncio.gather(*self._ending, return_exceptions=True)
        kept = [connection for _, connection in self._kept]
        self._kept.clear()
        return kept

    def _expire(self) -> None:
        self._timer = None
        cutoff = time.monotonic() - BEGUN_FOR
        stale = []
        while self._kept and self._kept[0][0] <= cutoff:
            stale.append(self._kept.popleft()[1])
        if stale:
            task = asyncio.get_running_loop().create_task(self._end(stale))
            self._ending.add(task)
            task.add_done_callback(self._ending.discard)
        if self._kept:
            due = self._kept[0][0] + BEGUN_FOR - time.monotonic()
            self._timer = self._call_later(max(due, 0.0))

    def _call_later(self, delay: float) -> asyncio.TimerHandle:
        # in a context of its own: the ROLLBACKs are not part of the request that happened to give a connection back
        return asyncio.get_running_loop().call_later(delay, self._expire, context=contextvars.Context())
