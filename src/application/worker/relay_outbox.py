"""Relays the outbox: turns each domain event into order callbacks and broker messages, at least once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
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
from application.views import PaymentView
from application.worker.backoff import RetryPolicy
from application.worker.callback_body import callback_body
from application.worker.worker_config import CallbackRouting, PaidAfterCancel, WorkerLeases
from domain.payments.events import PaymentSucceeded
from domain.payments.refund import RefundReason

log = logging.getLogger(__name__)

_Payments = Mapping[str, PaymentView] | Exception  # the batch's read, or why it failed

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
    """One batch per message: claim, read the payments the batch notifies about (one read), then for each message
    create its notification (if any), publish it (if a broker is configured) and react to it; last, mark every
    message that got through relayed (one statement). Each step is idempotent (the notification is unique per
    event and URL; consumers dedupe broker messages on the event id; a reaction finds what it did before), so a
    message relayed twice, after a crash, an expired lease or a batch whose mark failed, does no harm. With
    callbacks off (CallbackRouting) no notification is created.

    The batch's one read and one mark replace two round trips per message: on a two-core machine the worker's
    CPU per callback was mostly those round trips (bench/README.md, `outbox`)."""

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
        payments = await self._payments_notified_about(messages)
        # Each payment's messages in their order, one after another; different payments' at once (at most
        # CONCURRENCY): one at a time, a batch waited on ~8 round trips per message in turn and the relay fell
        # behind 500 webhooks a second. Callbacks promise no order between payments (nor retries within one).
        by_payment: dict[str, list[OutboxMessage]] = {}
        for message in messages:
            by_payment.setdefault(message.payment_id, []).append(message)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def relay_in_order(group: list[OutboxMessage]) -> list[tuple[str, int | None]]:
            async with gate:
                return [(message.id, await self._relay_one(message, payments)) for message in group]

        outcomes = [n for done in await asyncio.gather(*map(relay_in_order, by_payment.values())) for n in done]
        relayed = {message_id: n for message_id, n in outcomes if n is not None}
        await self._outbox.mark_relayed(relayed.keys(), self._clock.now())
        return RelayReport(len(messages), len(relayed), len(outcomes) - len(relayed), sum(relayed.values()))

    async def _payments_notified_about(self, messages: list[OutboxMessage]) -> _Payments:
        """The current view of every payment the batch's callbacks describe, or why they could not be read (each
        message that needs one then fails as it would have alone: kept pending with the error, retried)."""
        if not self._routing.enabled:
            return {}
        ids = {message.payment_id for message in messages if message.event_type in NOTIFIED_EVENT_TYPES}
        try:
            return await self._read.payments(ids) if ids else {}
        except Exception as error:
            return error

    async def _relay_one(self, message: OutboxMessage, payments: _Payments) -> int | None:
        """Notifications created (0 or 1), or None when relaying failed and the message waits for its retry."""
        try:
            # one trace from the request that wrote the event to its callbacks (tracing on)
            with self._tracing.continued("outbox.relay", message.trace_context):
                return await self._relay(message, payments)
        # Any failure (store, broker, a bug on one odd message) must not stop the rest of the batch: the
        # message stays pending and comes back after its backoff, with the error kept for operators.
        except Exception as error:
            log.warning("relaying outbox message %s failed: %s", message.id, error, exc_info=True)
            delay = self._policy.delay(message.attempts + 1)
            reason = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
            await self._outbox.mark_failed(message.id, reason, self._clock.now() + delay)
            return None

    async def _relay(self, message: OutboxMessage, payments: _Payments) -> int:
        created = await self._notify(message, payments)
        if self._publisher is not None:
            await self._publisher.publish(message)
        await self._react(message)
        return created  # marked relayed with the rest of the batch

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

    async def _notify(self, message: OutboxMessage, payments: _Payments) -> int:
        if not self._routing.enabled or message.event_type not in NOTIFIED_EVENT_TYPES:
            return 0
        if isinstance(payments, Exception):
            raise LookupError(f"the batch's payments could not be read: {payments}") from payments
        payment = payments.get(message.payment_id)
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
