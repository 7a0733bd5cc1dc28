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


def _cache_over(reads: CountingReads, clock: list[float]) -> tuple[OverviewCache, MessageBus]:
    bus = MessageBus(lambda _type: reads, {GetOverview: CountingReads, GetPaymentsPerHour: CountingReads})
    return OverviewCache(monotonic=lambda: clock[0]), bus


async def test_page_views_share_one_read_until_the_figures_are_15_seconds_old() -> None:
    reads, clock = CountingReads(), [0.0]
    cache, bus = _cache_over(reads, clock)

    first = await asyncio.gather(*(cache.figures(bus) for _ in range(5)))  # five page views at once
    clock[0] = 14.9
    still = await cache.figures(bus)

    assert {id(f) for f in first} == {id(still)}
    assert reads.reads == 2  # one overview, one chart


async def test_older_figures_are_served_while_one_read_in_the_background_replaces_them() -> None:
    reads, clock = CountingReads(), [0.0]
    cache, bus = _cache_over(reads, clock)
    first = await cache.figures(bus)
    clock[0] = 15.0

    meanwhile = await asyncio.gather(*(cache.figures(bus) for _ in range(5)))  # none waits for the read
    assert {id(f) for f in meanwhile} == {id(first)}
    await asyncio.sleep(0.05)  # the background read finishes
    fresh = await cache.figures(bus)

    assert fresh is not first
    assert fresh.summary.stuck_payments.count == 3  # the second read's overview (reads 3 and 4)
    assert reads.reads == 4  # five views of stale figures started one read


async def test_figures_older_than_a_minute_are_read_again_before_the_page_is_shown() -> None:
    reads, clock = CountingReads(), [0.0]
    cache, bus = _cache_over(reads, clock)
    first = await cache.figures(bus)
    clock[0] = 60.0

    again = await cache.figures(bus)

    assert again is not first
    assert again.summary.stuck_payments.count == 3


async def test_a_failed_background_read_keeps_the_figures_and_the_next_view_tries_again() -> None:
    reads, clock = CountingReads(), [0.0]
    cache, bus = _cache_over(reads, clock)
    first = await cache.figures(bus)
    clock[0] = 20.0
    failing = MessageBus(lambda _type: _fail, {GetOverview: CountingReads, GetPaymentsPerHour: CountingReads})

    assert await cache.figures(failing) is first
    await asyncio.sleep(0.01)
    assert await cache.figures(bus) is first  # a new background read starts
    await asyncio.sleep(0.05)
    assert (await cache.figures(bus)).summary.stuck_payments.count == 3


async def _fail(_: Any) -> Any:
    raise ConnectionError("the database went away")
