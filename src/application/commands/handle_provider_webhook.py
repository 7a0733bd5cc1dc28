"""Apply one provider webhook exactly once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from application.errors import PaymentNotFound, ProviderError, ProviderUnavailable, StoreUnavailable
from application.messages import Command
from application.ports.cause import Cause
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.payment_provider import EventAction, PaymentProvider, PaymentProviders, ProviderEvent
from application.ports.repositories import InboxEntry, InboxStatus
from application.ports.unit_of_work import UnitOfWork
from application.views import WebhookReceipt
from application.webhook_effects import Outcome, apply_event

log = logging.getLogger(__name__)

# Never stored: credentials a proxy might have added. Signature headers are kept for audits and replays.
_DROPPED_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "proxy-authorization"})


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
    """

    def __init__(self, uow: UnitOfWork, providers: PaymentProviders, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._providers, self._clock, self._ids = uow, providers, clock, ids

    async def __call__(self, cmd: HandleProviderWebhook) -> WebhookReceipt:
        provider = self._providers.get(cmd.provider)
        event = provider.parse_webhook(cmd.headers, cmd.body)
        entry = InboxEntry(
            id=self._ids.new("whe"),
            provider=cmd.provider,
            event_id=event.event_id,
            event_type=event.event_type,
            headers={k.lower(): v for k, v in cmd.headers.items() if k.lower() not in _DROPPED_HEADERS},
            body=cmd.body,
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
        try:
            confirmed = await provider.confirm(event)
            async with self._uow as uow:
                return await self._apply_and_mark(uow, receipt.id, confirmed)
        except (ProviderUnavailable, ProviderError) as error:
            reason = f"confirmation failed: {error}"
        except StoreUnavailable:
            raise  # stored as received; the worker picks it up
        except Exception as error:  # the row is ours and committed: mark it, never leave it half-handled
            log.exception("webhook %s/%s could not be applied", entry.provider, entry.event_id)
            reason = f"internal error while applying: {type(error).__name__}"
        await self._mark_failed(receipt.id, reason, event.payment_id)
        return WebhookReceipt(receipt.id, False, InboxStatus.FAILED.value)

    async def _mark_failed(self, entry_id: str, reason: str, payment_id: str | None) -> None:
        async with self._uow as uow:
            await uow.inbox.mark(
                entry_id, InboxStatus.FAILED, reason=reason, payment_id=payment_id, at=self._clock.now()
            )
            await uow.commit()

    async def _apply_and_mark(self, uow: UnitOfWork, entry_id: str, event: ProviderEvent) -> WebhookReceipt:
        outcome = await self._apply(uow, event)
        await uow.inbox.mark(
            entry_id, outcome.status, reason=outcome.reason, payment_id=event.payment_id, at=self._clock.now()
        )
        await uow.commit()
        return WebhookReceipt(entry_id, False, outcome.status.value)

    async def _apply(self, uow: UnitOfWork, event: ProviderEvent) -> Outcome:
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
            await uow.payments.save(payment, Cause("webhook", event.provider, event.event_id))
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
