"""Tells every listening process (payment_change_feed.py) which orders this process's commits changed.

Migration 0006's triggers notified from inside each writing transaction. Postgres makes a transaction that
notified hold a database-wide lock from just before its commit record until that record is flushed, so every
payment write queued behind the previous one's WAL flush (the benchmark's checkouts and webhooks spent most of
their time waiting for it at COMMIT). The service's connections now say that they announce their own changes
(`payments.announces_changes`, engine.py) and the triggers leave their writes alone (migration 0013); this
commit listener sends the order ids instead, right after the commit, in a statement that only notifies. Such a
transaction writes no WAL of its own, so Postgres does not wait for a flush at its commit: its turn at the lock
is short, and one statement announces every order committed in the few milliseconds before it (GATHER_SECONDS).

What it keeps: a cache entry read before a commit still cannot outlive that commit's notification (the epoch
rule, status_cache.py); listeners learn of a commit a moment after it (GATHER_SECONDS, plus one round trip).
What it gives up: a process that dies between a commit and its announcement leaves other processes' copies of
those orders as they were until their TTL (`PAYMENTS_STATUS_CACHE_TTL_SECONDS`, 30 s by default).
A failed announcement is retried with backoff, ids kept (an announcement twice only invalidates twice).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from application.observed_unit_of_work import WrittenPayment
from infrastructure.db.read.payment_change_feed import CHANNEL
from infrastructure.db.sql.database import Database

BATCH = 1_000  # order ids per statement
# How long each statement waits for more commits to join it. Under load (about 1,400 payment commits a second in
# the benchmark's checkouts) a statement per commit or two cost ~5% of the API process's CPU; gathered for 5 ms
# they cost a fraction of that, and other processes hear of a change 5 ms later (the writer's own cache at once).
GATHER_SECONDS = 0.005
MAX_PENDING = 100_000  # beyond this (announcements failing for long while writes commit) the oldest are dropped
FIRST_RETRY_SECONDS = 0.05
MAX_RETRY_SECONDS = 5.0

_ORDERS = sa.func.unnest(sa.bindparam("orders", type_=ARRAY(sa.String))).table_valued("order_id").render_derived("o")
ANNOUNCE = sa.select(sa.func.count(sa.func.pg_notify(CHANNEL, _ORDERS.c.order_id))).select_from(_ORDERS)

log = logging.getLogger(__name__)


class PaymentChangeAnnouncer:
    """A commit listener (application/observed_unit_of_work.py); `close` sends what is still pending."""

    def __init__(self, database: Database, *, first_retry_seconds: float = FIRST_RETRY_SECONDS) -> None:
        self._database, self._first_retry = database, first_retry_seconds
        self._pending: dict[str, None] = {}  # order ids not yet announced, oldest first (a set with an order)
        self._task: asyncio.Task[None] | None = None

    def committed(self, written: Sequence[WrittenPayment]) -> None:
        pending = self._pending
        for payment in written:
            pending[payment.order_id] = None
        if len(pending) > MAX_PENDING:
            for order_id in list(pending)[: len(pending) - MAX_PENDING]:
                del pending[order_id]  # their cached copies elsewhere age out with the TTL
        if self._task is None or self._task.done():
            # A context of its own: the announcement is not part of the request that committed (nor of its trace)
            self._task = asyncio.get_running_loop().create_task(
                self._announce_pending(), name="payment-change-announcer", context=contextvars.Context()
            )

    async def _announce_pending(self) -> None:
        retry = self._first_retry
        pending = self._pending
        while pending:
            await asyncio.sleep(GATHER_SECONDS)
            # taken out before sending: an order committed again while this statement is on its way is pending
            # again, and announced by the next one (a listener may have re-read it before that commit)
            orders = list(pending)[:BATCH]
            for order_id in orders:
                del pending[order_id]
            try:
                # a read's retry on a dead pooled connection is right here too: announcing twice is harmless
                await self._database.fetch_value(ANNOUNCE, orders=orders)
            except Exception as error:  # the store is down or refused: try again with the same ids
                pending.update(dict.fromkeys(orders))
                log.warning("payment changes not announced yet (%d orders), retrying: %s", len(pending), error)
                await asyncio.sleep(retry)
                retry = min(retry * 2, MAX_RETRY_SECONDS)
                continue
            retry = self._first_retry

    async def close(self, timeout_seconds: float = 5.0) -> None:
        """Waits (up to `timeout_seconds`) for what was committed to be announced, then stops trying."""
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(task, timeout_seconds)
        except TimeoutError:
            log.warning("payment changes of %d orders were not announced before shutdown", len(self._pending))
