"""The reconciliation read side: aggregates over a time window, for admins comparing our books with providers'."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from application.data.reconciliation import Overview, ReconciliationSummary


class ReconciliationReadModel(Protocol):
    async def summary(
        self, since: datetime, until: datetime, stuck_before: datetime, sample_limit: int
    ) -> ReconciliationSummary:
        """Everything created (payments, refunds) or received (webhook events) in `[since, until)`."""
        ...

    async def overview(self, since: datetime, until: datetime, stuck_before: datetime, sample_limit: int) -> Overview:
        """The payment groups, stuck payments and webhook trouble of the summary, without its discrepancies."""
        ...
