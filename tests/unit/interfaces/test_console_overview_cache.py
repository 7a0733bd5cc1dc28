"""The overview's aggregates are read once per 15 s however many page views ask, then read again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from application.bus import MessageBus
from application.data.reconciliation import IdSample, Overview
from application.queries.get_overview import GetOverview
from application.queries.payments_per_hour import GetPaymentsPerHour, HourlyCounts
from interfaces.admin.overview_cache import OverviewCache

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


class CountingReads:
    """Answers both queries, counting how often it was asked (and taking a moment, as a database does)."""

    def __init__(self) -> None:
        self.reads = 0

    async def __call__(self, message: Any) -> Any:
        self.reads += 1
        await asyncio.sleep(0.01)
        if isinstance(message, GetOverview):
            return Overview(T0, T0, (), IdSample(self.reads, ()), ())
        return HourlyCounts(T0, (self.reads,))


async def test_page_views_share_one_read_until_the_figures_are_15_seconds_old() -> None:
    reads, clock = CountingReads(), [0.0]
    bus = MessageBus(lambda _type: reads, {GetOverview: CountingReads, GetPaymentsPerHour: CountingReads})
    cache = OverviewCache(monotonic=lambda: clock[0])

    first = await asyncio.gather(*(cache.figures(bus) for _ in range(5)))  # five page views at once
    clock[0] = 14.9
    still = await cache.figures(bus)
    clock[0] = 15.0
    fresh = await cache.figures(bus)

    assert {id(f) for f in first} == {id(still)}
    assert fresh.summary.stuck_payments.count == 3  # the second read's overview (reads 3 and 4)
    assert reads.reads == 4
