"""The admin console's overview of the last hours: payments per provider and status, stuck payments, webhook
trouble. The reconciliation summary's cheap part, so the page can be opened as often as people like."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.data.reconciliation import Overview
from application.messages import Query
from application.ports.clock import Clock
from application.ports.reconciliation import ReconciliationReadModel
from application.queries.reconciliation_summary import SAMPLE_LIMIT, STUCK_AFTER


@dataclass(frozen=True, slots=True)
class GetOverview(Query[Overview]):
    hours_back: int = 24


class GetOverviewHandler:
    def __init__(self, reconciliation: ReconciliationReadModel, clock: Clock) -> None:
        self._read, self._clock = reconciliation, clock

    async def __call__(self, query: GetOverview) -> Overview:
        until = self._clock.now()
        since = until - timedelta(hours=max(1, min(query.hours_back, 24 * 7)))
        return await self._read.overview(since, until, until - STUCK_AFTER, SAMPLE_LIMIT)
