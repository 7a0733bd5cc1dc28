"""The worker's loops: each job runs again at once while it finds work, and waits its interval when idle.

Several workers (and API processes running the loops in-process) may run against one database: the jobs claim
rows with leases (`FOR UPDATE SKIP LOCKED` on Postgres), so the runner itself needs no coordination. On stop,
each loop finishes the batch it is in (nothing is cut off mid-delivery) and `on_stop` gives back any lease
still held, so another worker can take the rows at once instead of waiting for the lease to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

IDLE_BACKOFF_CAP = 60.0  # seconds: the longest a failing job waits before trying again


@dataclass(frozen=True, slots=True)
class Loop:
    name: str
    run_once: Callable[[], Awaitable[int]]  # how many items it handled; 0 means "idle, wait"
    interval: float  # seconds to wait when idle


class WorkerRunner:
    def __init__(self, loops: list[Loop], on_stop: Callable[[], Awaitable[None]] | None = None) -> None:
        self._loops, self._on_stop = loops, on_stop
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        """Runs every loop until `stop()`; then releases what is still claimed."""
        try:
            async with asyncio.TaskGroup() as group:
                for loop in self._loops:
                    group.create_task(self._run_loop(loop), name=f"worker:{loop.name}")
        finally:
            if self._on_stop is not None:
                await self._on_stop()

    def stop(self) -> None:
        self.stopping.set()

    async def _run_loop(self, loop: Loop) -> None:
        failures = 0
        while not self.stopping.is_set():
            try:
                handled = await loop.run_once()
                failures = 0
            except Exception:  # one bad batch must not stop the worker; the rows stay claimable
                failures += 1
                log.exception("worker loop %s failed (%d in a row)", loop.name, failures)
                await self._pause(min(IDLE_BACKOFF_CAP, loop.interval * 2**failures))
                continue
            if handled == 0:
                await self._pause(loop.interval)
            else:
                await asyncio.sleep(0)  # busy: go again at once, but let the other loops (and a stop) run

    async def _pause(self, seconds: float) -> None:
        """Sleeps, but wakes at once when the runner is stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
