"""Drops the cached statuses of the orders a transaction wrote, in this process, as soon as it commits.

The change notification (payment_change_announcer.py, payment_change_feed.py) invalidates every API process a
moment after each commit; this listener of the unit of work (application/observed_unit_of_work.py) does it here
without waiting, so a status read that follows a write handled by this process (a checkout, a webhook, a
refund) sees it: read-your-writes. Reads served by another process see the change once its notification arrives. A transaction
that is rolled back, or whose commit fails, reports nothing (there is nothing new to see).
"""

from __future__ import annotations

from collections.abc import Sequence

from application.observed_unit_of_work import WrittenPayment
from infrastructure.db.read.status_cache import StatusCache


class StatusCacheInvalidator:
    def __init__(self, cache: StatusCache) -> None:
        self._cache = cache

    def committed(self, written: Sequence[WrittenPayment]) -> None:
        for payment in written:
            self._cache.invalidate(payment.order_id)
