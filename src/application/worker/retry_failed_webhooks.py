"""The worker's webhook retries: stored events that could not be applied yet, tried again through the same path.

Each batch claims rows with a lease, re-verifies every event as of its `received_at` and applies it through the
webhook processor (the one state machine, no shortcut around verification). One that fails again waits an
exponentially growing, fully jittered delay (RetryPolicy), until the policy's maximum age after it was
received: then it is `dead`, for an admin to replay.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from application.data.cause import Cause
from application.data.webhook_events import InboxStatus, StoredWebhook
from application.messages import Command
from application.ports.clock import Clock
from application.ports.webhook_events import WebhookRetryQueue
from application.webhooks.processor import WebhookProcessor
from application.worker.backoff import RetryPolicy

log = logging.getLogger(__name__)

# A `received` row this old was left by a crash between storing a two-phase event and applying it.
STALE_RECEIVED_AFTER = timedelta(minutes=5)
LEASE = timedelta(minutes=2)
BATCH = 20


@dataclass(frozen=True, slots=True)
class RetryReport:
    claimed: int = 0
    processed: int = 0  # applied, or settled as ignored
    failed: int = 0  # failed again, scheduled for later
    dead: int = 0


@dataclass(frozen=True, slots=True)
class RetryFailedWebhooks(Command[RetryReport]):
    worker_id: str  # named in the leases it takes


class RetryFailedWebhooksHandler:
    def __init__(self, queue: WebhookRetryQueue, webhooks: WebhookProcessor, clock: Clock, policy: RetryPolicy) -> None:
        self._queue, self._webhooks, self._clock, self._policy = queue, webhooks, clock, policy

    async def __call__(self, cmd: RetryFailedWebhooks) -> RetryReport:
        now = self._clock.now()
        claimed = await self._queue.claim_due(
            cmd.worker_id, now, lease=LEASE, stale_before=now - STALE_RECEIVED_AFTER, limit=BATCH
        )
        counts = {"processed": 0, "failed": 0, "dead": 0}
        for stored in claimed:
            counts[await self._retry(stored, cmd.worker_id)] += 1
        return RetryReport(len(claimed), counts["processed"], counts["failed"], counts["dead"])

    async def _retry(self, stored: StoredWebhook, worker_id: str) -> str:
        try:
            receipt = await self._webhooks.reprocess(stored, Cause("webhook", stored.provider, stored.event_id))
        except Exception:  # the store blinked, or a bug: the lease runs out and the row comes back
            log.warning("retrying webhook %s failed; it stays claimed until its lease ends", stored.id, exc_info=True)
            return "failed"
        if receipt.status != InboxStatus.FAILED.value:
            await self._queue.reschedule(stored.id, worker_id, None)
            return "processed"
        now = self._clock.now()
        deadline = stored.received_at + self._policy.max_age
        if now >= deadline:
            note = f"gave up: still failing {self._policy.max_age} after it was received"
            await self._queue.bury(stored.id, worker_id, note, now)
            log.warning("webhook %s/%s is dead: %s", stored.provider, stored.event_id, note)
            return "dead"
        delay = self._policy.delay(stored.attempts + 1, cap=self._policy.max_age)
        await self._queue.reschedule(stored.id, worker_id, min(now + delay, deadline))
        return "failed"
