"""The overview's figures, read at most once every `FRESH_SECONDS` per process, in the background once there are some.

They aggregate every payment of the last 24 hours (tens of thousands of rows on a busy day), and every person
with the console open may reload the page; figures a few seconds old are fine for an overview, and the page says
when they were read. Lists that people act on (transactions, webhook events, notifications) are never cached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from application.bus import MessageBus
from application.data.reconciliation import Overview
from application.queries.get_overview import GetOverview
from application.queries.payments_per_hour import GetPaymentsPerHour, HourlyCounts

FRESH_SECONDS = 15.0
STALE_SECONDS = 60.0  # figures this old are still shown while newer ones are read; older ones are waited for

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OverviewFigures:
    summary: Overview
    hourly: HourlyCounts


class OverviewCache:
    """Figures younger than `fresh_seconds` are served as they are. Older ones, up to `stale_seconds`, are served
    too while one read in the background replaces them, so no page view waits for the aggregate (it takes
    hundreds of milliseconds over a busy day: every 15 s one view used to pay it). Older still, or none yet:
    the view waits for the read, shared by every view waiting at that moment."""

    def __init__(
        self,
        fresh_seconds: float = FRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        stale_seconds: float = STALE_SECONDS,
    ) -> None:
        self._fresh, self._stale, self._monotonic = fresh_seconds, stale_seconds, monotonic
        self._figures: OverviewFigures | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None  # held: a task nobody references may be collected

    async def figures(self, bus: MessageBus) -> OverviewFigures:
        age = self._monotonic() - self._read_at
        if self._figures is not None and age < self._fresh:
            return self._figures
        if self._figures is not None and age < self._stale:
            if self._refreshing is None:
                self._refreshing = asyncio.create_task(self._refresh(bus))
            return self._figures
        async with self._lock:  # one read for every page view waiting on it
            if self._figures is None or self._monotonic() - self._read_at >= self._stale:
                await self._read(bus)
            assert self._figures is not None
            return self._figures

    async def _refresh(self, bus: MessageBus) -> None:
        try:
            async with self._lock:
                await self._read(bus)
        except Exception:  # the figures in hand stay; the next page view tries again
            log.warning("refreshing the console overview failed", exc_info=True)
        finally:
            self._refreshing = None

    async def _read(self, bus: MessageBus) -> None:
        summary = await bus.send(GetOverview(24))
        self._figures = OverviewFigures(summary, await bus.send(GetPaymentsPerHour()))
        self._read_at = self._monotonic()
