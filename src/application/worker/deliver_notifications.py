"""Delivers due order callbacks: one signed POST per claimed notification, every attempt recorded."""

from __future__ import annotations

import asyncio
import logging
import random as _random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports.callback_sender import CallbackSender, DeliveryResult
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.metrics import NO_METRICS, Metrics, NotificationOutcome
from application.ports.notifications import Notification, NotificationAttempt, NotificationStatus, NotificationStore
from application.worker.backoff import backoff_delay

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500
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


class DeliverNotifications:
    """One batch per call. Posts run concurrently (at most `concurrency` at once) so that a slow receiver
    costs the batch one timeout, not one per notification; the lease covers that with room to spare.

    After a failed attempt the notification waits `retry_base_seconds * 2^(attempts-1)` with full jitter
    (capped at 6 h), until it is older than `retry_max_age_seconds` (3 days by default): then it is dead. A
    410 Gone makes it dead at once (see DeliveryResult.gone).
    """

    def __init__(
        self,
        store: NotificationStore,
        sender: CallbackSender,
        ids: IdGenerator,
        clock: Clock,
        worker_id: str,
        *,
        retry_base_seconds: int = 30,
        retry_max_age_seconds: int = 259_200,
        batch_size: int = 50,
        concurrency: int = 10,
        lease: timedelta = timedelta(minutes=2),
        random: Callable[[], float] = _random.random,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._store, self._sender, self._ids, self._clock = store, sender, ids, clock
        self.worker_id = worker_id
        self._retry_base, self._max_age = retry_base_seconds, timedelta(seconds=retry_max_age_seconds)
        self._batch, self._lease, self._random = batch_size, lease, random
        self._concurrency = concurrency
        self._metrics = metrics

    async def __call__(self) -> DeliveryReport:
        claimed = await self._store.claim(self.worker_id, self._clock.now(), self._lease, self._batch)
        if not claimed:
            return DeliveryReport()
        gate = asyncio.Semaphore(self._concurrency)

        async def deliver(notification: Notification) -> NotificationStatus:
            async with gate:
                return await self._deliver(notification)

        outcomes = await asyncio.gather(*(deliver(n) for n in claimed))
        return DeliveryReport(
            claimed=len(claimed),
            delivered=outcomes.count(NotificationStatus.DELIVERED),
            failed=outcomes.count(NotificationStatus.FAILED),
            dead=outcomes.count(NotificationStatus.DEAD),
        )

    async def _deliver(self, notification: Notification) -> NotificationStatus:
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
            worker=self.worker_id,
        )
        await self._store.record_attempt(attempt, status, next_attempt_at)
        self._metrics.notification(_COUNTED_AS[status])
        log.info(
            "notification %s to %s: %s (%s)", notification.id, notification.url, status.value, _what_happened(result)
        )
        return status

    def _next(self, notification: Notification, result: DeliveryResult) -> tuple[NotificationStatus, datetime | None]:
        now = self._clock.now()
        if result.delivered:
            return NotificationStatus.DELIVERED, None
        if result.gone or now - notification.created_at >= self._max_age:
            return NotificationStatus.DEAD, None
        delay = backoff_delay(notification.attempts + 1, self._retry_base, self._random)
        return NotificationStatus.FAILED, now + delay


def _outcome(result: DeliveryResult) -> str:
    return f"HTTP {result.status_code}" if result.status_code is not None else "no response"


def _what_happened(result: DeliveryResult) -> str:
    """`HTTP 500 in 12 ms`, or `no response after 10003 ms: timed out (ReadTimeout)`: never `HTTP None`."""
    if result.status_code is None:
        return f"no response after {result.latency_ms} ms: {result.error or 'no reason given'}"
    said = f"HTTP {result.status_code} in {result.latency_ms} ms"
    return said if result.error in (None, _outcome(result)) else f"{said}: {result.error}"
