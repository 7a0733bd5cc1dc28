"""What happened in the last hours, per provider, status and currency, and what looks wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.data.reconciliation import ReconciliationSummary
from application.messages import Query
from application.ports.clock import Clock
from application.ports.reconciliation import ReconciliationReadModel

MAX_HOURS_BACK = 720  # 30 days
STUCK_AFTER = timedelta(hours=1)
"""A payment in `processing` (or a refund in `pending`) older than this is reported as stuck: by then the
janitor has asked its provider three times."""
SAMPLE_LIMIT = 50


@dataclass(frozen=True, slots=True)
class GetReconciliationSummary(Query[ReconciliationSummary]):
    hours_back: int = 24


class GetReconciliationSummaryHandler:
    def __init__(self, reconciliation: ReconciliationReadModel, clock: Clock) -> None:
        self._read, self._clock = reconciliation, clock

    async def __call__(self, query: GetReconciliationSummary) -> ReconciliationSummary:
        until = self._clock.now()
        since = until - timedelta(hours=max(1, min(query.hours_back, MAX_HOURS_BACK)))
        return await self._read.summary(since, until, until - STUCK_AFTER, SAMPLE_LIMIT)
