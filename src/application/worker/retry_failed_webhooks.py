"""The worker's webhook retries: stored events that could not be applied yet, tried again through the same path.

Each call claims a batch with a lease, re-verifies every event as of its `received_at` and applies it through
HandleProviderWebhookHandler.reprocess (the one state machine, no shortcut around verification). One that
fails again waits an exponentially growing, fully jittered delay (from PAYMENTS_RETRY_BASE_SECONDS), until
PAYMENTS_RETRY_MAX_AGE_SECONDS after it was received: then it is `dead`, for an admin to replay.
"""

from __future__ import annotations

import logging
import random as _random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from application.commands.handle_provider_webhook import HandleProviderWebhookHandler
from application.data.cause import Cause
from application.data.webhook_events import InboxStatus, StoredWebhook
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.payment_provider import PaymentProviders
from application.ports.unit_of_work import UnitOfWork
from application.ports.webhook_events import WebhookRetryQueue
from application.worker.backoff import backoff_delay

log = logging.getLogger(__name__)

# A `received` row this old was left by a crash between storing a two-phase event and applying it.
STALE_RECEIVED_AFTER = timedelta(minutes=5)
LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class RetryReport:
    claimed: int = 0
    processed: int = 0  # applied, or settled as ignored
    failed: int = 0  # failed again, scheduled for later
    dead: int = 0

    def __int__(self) -> int:
        return self.claimed


class RetryFailedWebhooks:
    def __init__(
        self,
        retries: WebhookRetryQueue,
        unit_of_work: Callable[[], UnitOfWork],
        providers: PaymentProviders,
        clock: Clock,
        ids: IdGenerator,
        worker_id: str,
        *,
        retry_base_seconds: int = 30,
        retry_max_age_seconds: int = 259200,
        batch_size: int = 20,
        lease: timedelta = LEASE,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self._retries, self._clock, self.worker_id = retries, clock, worker_id
        self._webhooks = HandleProviderWebhookHandler(unit_of_work(), providers, clock, ids)
        self._base, self._max_age = retry_base_seconds, timedelta(seconds=retry_max_age_seconds)
        self._batch, self._lease, self._random = batch_size, lease, random

    async def __call__(self) -> RetryReport:
        now = self._clock.now()
        claimed = await self._retries.claim_due(
            self.worker_id, now, lease=self._lease, stale_before=now - STALE_RECEIVED_AFTER, limit=self._batch
        )
        counts = {"processed": 0, "failed": 0, "dead": 0}
        for stored in claimed:
            counts[await self._retry(stored)] += 1
        return RetryReport(len(claimed), counts["processed"], counts["failed"], counts["dead"])

    async def release(self) -> int:
        """Gives back the claims still held (the runner's on_stop)."""
        return await self._retries.release(self.worker_id)

    async def _retry(self, stored: StoredWebhook) -> str:
        try:
            receipt = await self._webhooks.reprocess(stored, Cause("webhook", stored.provider, stored.event_id))
        except Exception:  # the store blinked, or a bug: the lease runs out and the row comes back
            log.warning("retrying webhook %s failed; it stays claimed until its lease ends", stored.id, exc_info=True)
            return "failed"
        if receipt.status != InboxStatus.FAILED.value:
            await self._retries.reschedule(stored.id, self.worker_id, None)
            return "processed"
        now = self._clock.now()
        deadline = stored.received_at + self._max_age
        if now >= deadline:
            note = f"gave up: still failing {self._max_age} after it was received"
            await self._retries.bury(stored.id, self.worker_id, note, now)
            log.warning("webhook %s/%s is dead: %s", stored.provider, stored.event_id, note)
            return "dead"
        attempts = stored.attempts + 1
        delay = backoff_delay(attempts, self._base, self._random, cap=self._max_age)
        await self._retries.reschedule(stored.id, self.worker_id, min(now + delay, deadline))
        return "failed"
