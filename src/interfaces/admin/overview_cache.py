"""The overview's figures, read at most once every `FRESH_SECONDS` per process.

They aggregate every payment of the last 24 hours (tens of thousands of rows on a busy day), and every person
with the console open may reload the page; figures a few seconds old are fine for an overview, and the page says
when they were read. Lists that people act on (transactions, webhook events, notifications) are never cached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from application.bus import MessageBus
from application.data.reconciliation import Overview
from application.queries.get_overview import GetOverview
from application.queries.payments_per_hour import GetPaymentsPerHour, HourlyCounts

FRESH_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class OverviewFigures:
    summary: Overview
    hourly: HourlyCounts


class OverviewCache:
    def __init__(self, fresh_seconds: float = FRESH_SECONDS, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._fresh, self._monotonic = fresh_seconds, monotonic
        self._figures: OverviewFigures | None = None
        self._until = 0.0
        self._lock = asyncio.Lock()

    async def figures(self, bus: MessageBus) -> OverviewFigures:
        if self._figures is not None and self._monotonic() < self._until:
            return self._figures
        async with self._lock:  # one read for every page view waiting on it
            if self._figures is None or self._monotonic() >= self._until:
                summary = await bus.send(GetOverview(24))
                self._figures = OverviewFigures(summary, await bus.send(GetPaymentsPerHour()))
                self._until = self._monotonic() + self._fresh
            return self._figures
