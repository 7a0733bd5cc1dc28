"""Apply one provider webhook exactly once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from application.errors import (
    InvalidSignature,
    MalformedWebhook,
    PaymentNotFound,
    ProviderError,
    ProviderUnavailable,
    StoreUnavailable,
    UnknownProvider,
)
from application.messages import Command
from application.ports.cause import Cause
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.metrics import NO_METRICS, Metrics, WebhookOutcome
from application.ports.payment_provider import EventAction, PaymentProvider, PaymentProviders, ProviderEvent
from application.ports.repositories import InboxEntry, InboxStatus
from application.ports.unit_of_work import UnitOfWork
from application.ports.webhook_retries import StoredWebhook
from application.views import WebhookReceipt
from application.webhook_effects import Outcome, apply_event

log = logging.getLogger(__name__)

# Never stored: credentials a proxy might have added. Signature headers are kept for audits and replays.
_DROPPED_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "proxy-authorization"})
_COUNTED_AS: dict[str, WebhookOutcome] = {"processed": "processed", "ignored": "ignored"}  # anything else: failed
MAX_EVENT_ID_LENGTH = 255
"""The inbox keys events by (provider, event id) and stores their type in columns this long. No provider's ids
come near it; a longer one is refused as malformed before anything is stored, rather than failing in the store."""


@dataclass(frozen=True, slots=True)
class HandleProviderWebhook(Command[WebhookReceipt]):
    provider: str
    headers: Mapping[str, str]
    body: bytes


class HandleProviderWebhookHandler:
    """Verify first (nothing is stored for a bad signature), then one transaction: inbox row keyed by
    (provider, event id) + the payment's change + audit and outbox rows. A crash between "seen" and "applied"
    is therefore impossible: both commit or neither does, and the provider retries.

    An event that cannot be applied yet (unknown payment) is stored as `failed` for the worker to retry;
    one that would move a payment backwards is stored as `ignored`. Both are answered 200.

    `reprocess` runs a stored event again (worker retries, admin replays) through the same verification (as of
    the moment it was received) and the same state machine.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        providers: PaymentProviders,
        clock: Clock,
        ids: IdGenerator,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow, self._providers, self._clock, self._ids = uow, providers, clock, ids
        self._metrics = metrics

    async def __call__(self, cmd: HandleProviderWebhook) -> WebhookReceipt:
        provider = self._providers.get(cmd.provider)
        try:
            event = provider.parse_webhook(cmd.headers, cmd.body)
            if max(len(event.event_id), len(event.event_type)) > MAX_EVENT_ID_LENGTH:
                raise MalformedWebhook(provider.name, f"event id or type longer than {MAX_EVENT_ID_LENGTH} characters")
        except InvalidSignature:  # MalformedWebhook too: nothing is stored
            self._metrics.webhook_event(provider.name, "invalid_signature")
            raise
        receipt = await self.handle_authenticated(provider, event, cmd.body, cmd.headers)
        outcome = "duplicate" if receipt.duplicate else _COUNTED_AS.get(receipt.status, "failed")
        self._metrics.webhook_event(provider.name, outcome)
        return receipt

    async def handle_authenticated(
        self, provider: PaymentProvider, event: ProviderEvent, body: bytes, headers: Mapping[str, str]
    ) -> WebhookReceipt:
        """An event already authenticated (a verified webhook, or one pulled from the provider's API by the
        janitor) with its raw body: recorded by (provider, event id), a duplicate changes nothing, then applied
        (confirmed first when it needs it) exactly like a delivery."""
        entry = InboxEntry(
            id=self._ids.new("whe"),
            provider=provider.name,
            event_id=event.event_id,
            event_type=event.event_type,
            headers={k.lower(): v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS},
            body=body,
            received_at=self._clock.now(),
        )
        try:
            if event.needs_confirmation:
                return await self._record_then_confirm(provider, entry, event)
            return await self._record_and_apply(entry, event)
        except StoreUnavailable:
            raise  # the provider gets a non-2xx and retries; nothing was acknowledged
        except Exception as error:  # a bug must not lose the event: store it as failed for a retry
            log.exception("webhook %s/%s could not be applied", entry.provider, entry.event_id)
            return await self._record_failed(entry, f"internal error while applying: {type(error).__name__}")

    async def _record_and_apply(self, entry: InboxEntry, event: ProviderEvent) -> WebhookReceipt:
        async with self._uow as uow:
            receipt = await uow.inbox.record(entry)
            if receipt.duplicate:
                return WebhookReceipt(receipt.id, True, "duplicate")
            return await self._apply_and_mark(uow, receipt.id, event)

    async def _record_then_confirm(
        self, provider: PaymentProvider, entry: InboxEntry, event: ProviderEvent
    ) -> WebhookReceipt:
        """Events the provider must confirm first (verify a charge, capture an order). The event is stored and
        committed before the call, so a slow or failing provider cannot lose it; no transaction is held across
        the call; a duplicate delivery finds the stored event and never triggers a second confirmation."""
        async with self._uow as uow:
            receipt = await uow.inbox.record(entry)
            await uow.commit()
        if receipt.duplicate:
            return WebhookReceipt(receipt.id, True, "duplicate")
        return await self.apply_stored(provider, receipt.id, event)

    async def reprocess(self, stored: StoredWebhook, cause: Cause | None = None) -> WebhookReceipt:
        """Verifies the stored raw body again, as of its `received_at` (never skipped: a stored forgery stays
        unapplied), then applies it like a fresh delivery. A refused event is marked failed with the reason.
        A `processed` event stays processed: replaying it changes nothing (the state machine is idempotent)."""
        try:
            provider = self._providers.get(stored.provider)
            event = provider.parse_webhook(stored.headers, stored.body, at=stored.received_at)
            if (event.provider, event.event_id) != (stored.provider, stored.event_id):
                raise MalformedWebhook(stored.provider, f"the stored body is event {event.event_id}")
        except (InvalidSignature, MalformedWebhook, UnknownProvider) as refused:
            reason = f"stored event refused on reprocessing: {refused}"
            await self._mark_failed(stored.id, reason, stored.payment_id, previous=stored.status)
            return WebhookReceipt(stored.id, False, self._after_failure(stored.status).value)
        return await self.apply_stored(provider, stored.id, event, cause=cause, previous=stored.status)

    async def apply_stored(
        self,
        provider: PaymentProvider,
        entry_id: str,
        event: ProviderEvent,
        *,
        cause: Cause | None = None,
        previous: InboxStatus = InboxStatus.RECEIVED,
    ) -> WebhookReceipt:
        """Applies a verified event whose inbox row is already stored (and committed): confirms with the provider
        first when the event needs it (outside any transaction), then one transaction applies and marks it."""
        try:
            confirmed = await provider.confirm(event) if event.needs_confirmation else event
            async with self._uow as uow:
                return await self._apply_and_mark(uow, entry_id, confirmed, cause, previous)
        except (ProviderUnavailable, ProviderError) as error:
            reason = f"confirmation failed: {error}"
        except StoreUnavailable:
            raise  # stored as received (or as it was); the worker picks it up
        except Exception as error:  # the row is ours and committed: mark it, never leave it half-handled
            log.exception("webhook %s/%s could not be applied", event.provider, event.event_id)
            reason = f"internal error while applying: {type(error).__name__}"
        await self._mark_failed(entry_id, reason, event.payment_id, previous=previous)
        return WebhookReceipt(entry_id, False, self._after_failure(previous).value)

    @staticmethod
    def _after_failure(previous: InboxStatus) -> InboxStatus:
        return InboxStatus.PROCESSED if previous is InboxStatus.PROCESSED else InboxStatus.FAILED

    async def _mark_failed(
        self, entry_id: str, reason: str, payment_id: str | None, *, previous: InboxStatus = InboxStatus.RECEIVED
    ) -> None:
        if previous is InboxStatus.PROCESSED:
            return  # a replay of an applied event must not unsettle its record
        async with self._uow as uow:
            await uow.inbox.mark(
                entry_id, InboxStatus.FAILED, reason=reason, payment_id=payment_id, at=self._clock.now()
            )
            await uow.commit()

    async def _apply_and_mark(
        self,
        uow: UnitOfWork,
        entry_id: str,
        event: ProviderEvent,
        cause: Cause | None = None,
        previous: InboxStatus = InboxStatus.RECEIVED,
    ) -> WebhookReceipt:
        outcome = await self._apply(uow, event, cause)
        if previous is InboxStatus.PROCESSED and outcome.status is not InboxStatus.PROCESSED:
            return WebhookReceipt(entry_id, False, previous.value)  # replayed, nothing changed: keep the record
        await uow.inbox.mark(
            entry_id, outcome.status, reason=outcome.reason, payment_id=event.payment_id, at=self._clock.now()
        )
        await uow.commit()
        return WebhookReceipt(entry_id, False, outcome.status.value)

    async def _apply(self, uow: UnitOfWork, event: ProviderEvent, cause: Cause | None = None) -> Outcome:
        if event.action is EventAction.NONE:
            because = f": {event.reason}" if event.reason else ""
            return Outcome(InboxStatus.IGNORED, f"{event.event_type} needs no action{because}")
        if event.payment_id is None:
            return Outcome(InboxStatus.IGNORED, "the event names no payment of ours")
        try:
            payment = await uow.payments.get(event.payment_id, for_update=True)
        except PaymentNotFound:
            return Outcome(InboxStatus.FAILED, f"payment {event.payment_id} not found (yet)")
        outcome = apply_event(payment, event, self._clock.now())
        if outcome.status is InboxStatus.PROCESSED:
            await uow.payments.save(payment, cause or Cause("webhook", event.provider, event.event_id))
        return outcome

    async def _record_failed(self, entry: InboxEntry, reason: str) -> WebhookReceipt:
        async with self._uow as uow:
            receipt = await uow.inbox.record(entry)
            if not receipt.duplicate:
                await uow.inbox.mark(
                    receipt.id, InboxStatus.FAILED, reason=reason, payment_id=None, at=self._clock.now()
                )
            await uow.commit()
            return WebhookReceipt(receipt.id, receipt.duplicate, InboxStatus.FAILED.value)
