"""Delivers due order callbacks: one signed POST per claimed notification, every attempt recorded."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from application.data.callbacks import DeliveryResult
from application.data.notifications import AttemptRecord, Notification, NotificationAttempt, NotificationStatus
from application.data.outcomes import NotificationOutcome
from application.messages import Command
from application.ports.callback_sender import CallbackSender
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.notifications import NotificationStore
from application.ports.tracing import NO_TRACING, Tracing
from application.worker.backoff import RetryPolicy
from application.worker.worker_config import WorkerLeases

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500
CONCURRENCY = 10
_COUNTED_AS: dict[NotificationStatus, NotificationOutcome] = {
    NotificationStatus.DELIVERED: "delivered",
    NotificationStatus.FAILED: "failed",
    NotificationStatus.DEAD: "dead",
}


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0  # failed this time, retried later
    dead: int = 0  # given up


@dataclass(frozen=True, slots=True)
class DeliverNotifications(Command[DeliveryReport]):
    worker_id: str  # named in the leases it takes and in every attempt it records
    limit: int = 50


class DeliverNotificationsHandler:
    """One batch per message. Posts run concurrently (at most `CONCURRENCY` at once) so that a slow receiver
    costs the batch one timeout, not one per notification; the lease covers that with room to spare. The batch's
    attempts are recorded together once its last post has ended (one statement instead of one per callback:
    those round trips were a third of the worker's CPU per callback). A worker that dies before that loses the
    record, not the callback: the leases expire and the notifications are posted again, with their same ids.

    After a failed attempt the notification backs off (RetryPolicy: exponential with full jitter, capped at 6 h)
    until it is older than the policy's maximum age: then it is dead. A 410 Gone, or an address callbacks may
    not go to (DeliveryResult.refused), makes it dead at once.
    """

    def __init__(
        self,
        store: NotificationStore,
        sender: CallbackSender,
        ids: IdGenerator,
        clock: Clock,
        policy: RetryPolicy,
        leases: WorkerLeases,
        metrics: Metrics = NO_METRICS,
        tracing: Tracing = NO_TRACING,
    ) -> None:
        self._store, self._sender, self._ids, self._clock = store, sender, ids, clock
        self._policy, self._lease, self._metrics, self._tracing = policy, leases.duration, metrics, tracing

    async def __call__(self, cmd: DeliverNotifications) -> DeliveryReport:
        claimed = await self._store.claim(cmd.worker_id, self._clock.now(), self._lease, cmd.limit)
        if not claimed:
            return DeliveryReport()
        gate = asyncio.Semaphore(CONCURRENCY)

        async def deliver(notification: Notification) -> AttemptRecord:
            async with gate:
                with self._tracing.continued("callback.deliver", notification.trace_context):
                    return await self._deliver(notification, cmd.worker_id)

        records = await asyncio.gather(*(deliver(n) for n in claimed))
        await self._store.record_attempts(records)
        outcomes = [record.status for record in records]
        for status in outcomes:  # counted once recorded: an attempt whose record was lost is made again
            self._metrics.notification(_COUNTED_AS[status])
        return DeliveryReport(
            claimed=len(claimed),
            delivered=outcomes.count(NotificationStatus.DELIVERED),
            failed=outcomes.count(NotificationStatus.FAILED),
            dead=outcomes.count(NotificationStatus.DEAD),
        )

    async def _deliver(self, notification: Notification, worker_id: str) -> AttemptRecord:
        result = await self._sender.post(notification.url, notification.body)
        now = self._clock.now()
        status, next_attempt_at = self._next(notification, result)
        error = None if result.delivered else (result.error or _outcome(result))[:MAX_ERROR_LENGTH]
        attempt = NotificationAttempt(
            id=self._ids.new("nta"),
            notification_id=notification.id,
            at=now,
            outcome="delivered" if result.delivered else "failed",
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=error,
            worker=worker_id,
        )
        # logged as it happened on the wire, before the batch's record (which a dying worker may not write)
        log.info(
            "notification %s to %s: %s (%s)", notification.id, notification.url, status.value, _what_happened(result)
        )
        return AttemptRecord(attempt, status, next_attempt_at)

    def _next(self, notification: Notification, result: DeliveryResult) -> tuple[NotificationStatus, datetime | None]:
        now = self._clock.now()
        if result.delivered:
            return NotificationStatus.DELIVERED, None
        if result.gone or result.refused or now - notification.created_at >= self._policy.max_age:
            return NotificationStatus.DEAD, None
        delay = self._policy.delay(notification.attempts + 1)
        return NotificationStatus.FAILED, now + delay


def _outcome(result: DeliveryResult) -> str:
    return f"HTTP {result.status_code}" if result.status_code is not None else "no response"


def _what_happened(result: DeliveryResult) -> str:
    """`HTTP 500 in 12 ms`, or `no response after 10003 ms: timed out (ReadTimeout)`: never `HTTP None`."""
    if result.status_code is None:
        return f"no response after {result.latency_ms} ms: {result.error or 'no reason given'}"
    said = f"HTTP {result.status_code} in {result.latency_ms} ms"
    return said if result.error in (None, _outcome(result)) else f"{said}: {result.error}"
