"""Relays the outbox: turns each domain event into order callbacks and broker messages, at least once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from application.data.cause import Cause
from application.data.notifications import NewNotification
from application.data.outbox import OutboxMessage
from application.messages import Command
from application.ports.clock import Clock
from application.ports.event_publisher import EventPublisher
from application.ports.ids import IdGenerator
from application.ports.notifications import NotificationStore
from application.ports.outbox import Outbox
from application.ports.read_model import PaymentReadModel
from application.ports.tracing import NO_TRACING, Tracing
from application.refunds.refunder import Refunder
from application.worker.backoff import RetryPolicy
from application.worker.callback_body import callback_body
from application.worker.worker_config import CallbackRouting, PaidAfterCancel, WorkerLeases
from domain.payments.events import PaymentSucceeded
from domain.payments.refund import RefundReason

log = logging.getLogger(__name__)

# The events an order system hears about (API.md); the rest (initiated, refund.requested, …) are internal.
NOTIFIED_EVENT_TYPES = frozenset(
    {
        "payment.authorized",
        "payment.succeeded",
        "payment.failed",
        "payment.cancelled",
        "payment.expired",
        "payment.refunded",
        "payment.partially_refunded",
        "refund.failed",
        "payment.disputed",
    }
)
MAX_ERROR_LENGTH = 500
CONCURRENCY = 8  # payments relayed at once (each holds a pooled connection while it writes)
PAID_AFTER_CANCEL_NOTE = "automatic: paid after the payment was cancelled"


@dataclass(frozen=True, slots=True)
class RelayReport:
    claimed: int = 0
    relayed: int = 0
    failed: int = 0
    notifications: int = 0  # notifications created (not counting ones that already existed)


@dataclass(frozen=True, slots=True)
class RelayOutbox(Command[RelayReport]):
    worker_id: str  # named in the leases it takes
    limit: int = 100


class RelayOutboxHandler:
    """One batch per message: claim, then for each message create its notification (if any), publish it (if a
    broker is configured), and mark it relayed. Each step is idempotent (the notification is unique per event
    and URL; consumers dedupe broker messages on the event id), so a message relayed twice, after a crash or an
    expired lease, does no harm. With callbacks off (CallbackRouting) no notification is created."""

    def __init__(
        self,
        outbox: Outbox,
        read_model: PaymentReadModel,
        notifications: NotificationStore,
        ids: IdGenerator,
        clock: Clock,
        policy: RetryPolicy,
        routing: CallbackRouting,
        leases: WorkerLeases,
        refunder: Refunder,
        paid_after_cancel: PaidAfterCancel,
        publisher: EventPublisher | None = None,
        tracing: Tracing = NO_TRACING,
    ) -> None:
        self._outbox, self._read, self._notifications = outbox, read_model, notifications
        self._ids, self._clock, self._policy, self._routing = ids, clock, policy, routing
        self._lease, self._publisher = leases.duration, publisher
        self._refunder, self._refund_paid_after_cancel = refunder, paid_after_cancel.refund
        self._tracing = tracing

    async def __call__(self, cmd: RelayOutbox) -> RelayReport:
        now = self._clock.now()
        messages = await self._outbox.claim(cmd.worker_id, now, self._lease, cmd.limit)
        # Each payment's messages in their order, one after another; different payments' at once (at most
        # CONCURRENCY): one at a time, a batch waited on ~8 round trips per message in turn and the relay fell
        # behind 500 webhooks a second. Callbacks promise no order between payments (nor retries within one).
        by_payment: dict[str, list[OutboxMessage]] = {}
        for message in messages:
            by_payment.setdefault(message.payment_id, []).append(message)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def relay_in_order(group: list[OutboxMessage]) -> list[int | None]:
            async with gate:
                return [await self._relay_one(message) for message in group]

        outcomes = [n for done in await asyncio.gather(*map(relay_in_order, by_payment.values())) for n in done]
        relayed = [n for n in outcomes if n is not None]
        return RelayReport(len(messages), len(relayed), len(outcomes) - len(relayed), sum(relayed))

    async def _relay_one(self, message: OutboxMessage) -> int | None:
        """Notifications created (0 or 1), or None when relaying failed and the message waits for its retry."""
        try:
            # one trace from the request that wrote the event to its callbacks (tracing on)
            with self._tracing.continued("outbox.relay", message.trace_context):
                return await self._relay(message)
        # Any failure (store, broker, a bug on one odd message) must not stop the rest of the batch: the
        # message stays pending and comes back after its backoff, with the error kept for operators.
        except Exception as error:
            log.warning("relaying outbox message %s failed: %s", message.id, error, exc_info=True)
            delay = self._policy.delay(message.attempts + 1)
            reason = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
            await self._outbox.mark_failed(message.id, reason, self._clock.now() + delay)
            return None

    async def _relay(self, message: OutboxMessage) -> int:
        created = await self._notify(message)
        if self._publisher is not None:
            await self._publisher.publish(message)
        await self._react(message)
        await self._outbox.mark_relayed(message.id, self._clock.now())
        return created

    async def _react(self, message: OutboxMessage) -> None:
        """What the service itself does about an event: a payment paid after we cancelled it is refunded in full
        when configured. Exactly once: the refund carries a note the refunder looks for under the row lock, so
        a message relayed twice finds the refund it already made and asks the provider nothing."""
        if not self._refund_paid_after_cancel or message.event_type != PaymentSucceeded.name:
            return
        if not dict(message.payload.get("data") or {}).get("paid_after_cancel"):
            return
        cause = Cause("worker", "paid-after-cancel")
        await self._refunder.refund(
            message.payment_id, None, RefundReason.OTHER, PAID_AFTER_CANCEL_NOTE, cause, once_per_note=True
        )

    async def _notify(self, message: OutboxMessage) -> int:
        if not self._routing.enabled or message.event_type not in NOTIFIED_EVENT_TYPES:
            return 0
        payment = await self._read.payment(message.payment_id)
        if payment is None:  # cannot happen (outbox rows are written with their payment); retry rather than lose
            raise LookupError(f"payment {message.payment_id} of outbox message {message.id} not found")
        url = payment.callback_url or self._routing.default_url
        if url is None:
            return 0
        notification_id = self._ids.new("ntf")
        added = await self._notifications.add(
            NewNotification(
                id=notification_id,
                event_id=message.id,
                event_type=message.event_type,
                payment_id=message.payment_id,
                url=url,
                body=callback_body(notification_id, message.event_type, message.created_at, payment),
                created_at=self._clock.now(),
                trace_context=self._tracing.current(),
            )
        )
        return 1 if added else 0
