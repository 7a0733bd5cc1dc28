"""Retention: raw webhook bodies and headers carry customers' e-mails, names and addresses in clear. After
PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS they are dropped; the inbox row stays (deduplication, the admin's log, the
reconciliation counts), and says when its body was purged."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from application.messages import Command
from application.ports.clock import Clock
from application.ports.webhook_events import WebhookBodyPurge

log = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True, slots=True)
class BodyRetention:
    """PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS, as a period."""

    period: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PurgeWebhookBodies(Command[int]):
    """One batch; answers how many rows were purged (a full batch: the worker's loop goes again at once)."""

    limit: int = BATCH


class PurgeWebhookBodiesHandler:
    def __init__(self, purge: WebhookBodyPurge, clock: Clock, retention: BodyRetention = BodyRetention()) -> None:
        self._purge, self._clock, self._retention = purge, clock, retention

    async def __call__(self, cmd: PurgeWebhookBodies) -> int:
        now = self._clock.now()
        purged = await self._purge.purge_bodies(now - self._retention.period, now, cmd.limit)
        if purged:
            log.info(
                "purged the raw body and headers of %d webhook events older than %s", purged, self._retention.period
            )
        return purged
