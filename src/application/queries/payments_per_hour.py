"""Payments created per hour over the last hours (the admin console's chart)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.messages import Query
from application.ports.clock import Clock
from application.ports.payment_activity import PaymentActivity

HOURS = 24


@dataclass(frozen=True, slots=True)
class HourlyCounts:
    since: datetime  # the start of the first hour (on the hour, UTC)
    counts: tuple[int, ...]  # one per hour, oldest first; the last hour is the current one, so far


@dataclass(frozen=True, slots=True)
class GetPaymentsPerHour(Query[HourlyCounts]):
    hours: int = HOURS


class GetPaymentsPerHourHandler:
    def __init__(self, activity: PaymentActivity, clock: Clock) -> None:
        self._activity, self._clock = activity, clock

    async def __call__(self, query: GetPaymentsPerHour) -> HourlyCounts:
        hours = max(1, min(query.hours, 24 * 7))
        this_hour = self._clock.now().replace(minute=0, second=0, microsecond=0)
        since = this_hour - timedelta(hours=hours - 1)
        return HourlyCounts(since, await self._activity.created_per_hour(since, hours))
