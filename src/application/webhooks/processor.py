"""The one way provider news enters the books: verify → store → confirm when needed → apply.

Used by every path that brings an event: a delivery (`receive`), an event pulled over the provider's API by the
janitor (`accept`), and a stored event run again by the worker's retries or an admin's replay (`reprocess`).
Each is counted in the same metrics and settled by the same state machine (`effects.apply_event`).

- Verify first: a bad signature stores nothing.
- Store and apply in one transaction: the inbox row keyed by (provider, event id), the payment's change, its
  audit and outbox rows. A crash between "seen" and "applied" is impossible: both commit or neither does.
- Events the provider must confirm first (re-verify a charge, capture an order) are stored and committed before
  the call; the call is made outside any transaction; a duplicate finds the stored row and never confirms twice.
- An event that cannot be applied yet (unknown payment) is stored `failed` for the worker to retry; one that
  would move a payment backwards is stored `ignored`. A bug while applying never loses the event either: it is
  stored `failed` with the error's type.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from application.data.cause import Cause
from application.data.outcomes import WebhookOutcome
from application.data.provider_news import EventAction, ProviderEvent, ProviderNotice
from application.data.webhook_events import Applied, InboxEntry, InboxStatus, StoredWebhook
from application.errors import (
    InvalidSignature,
    MalformedWebhook,
    PaymentNotFound,
    ProviderError,
    ProviderUnavailable,
    StoreUnavailable,
    UnknownProvider,
)
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.payment_provider import PaymentProvider, PaymentProviders
from application.ports.unit_of_work import UnitOfWork
from application.views import WebhookReceipt
from application.webhooks.effects import Outcome, apply_event
from application.webhooks.notices import NoticeFollower
from application.webhooks.reverification import reverified
from domain.payments.status import CALLED_OFF

log = logging.getLogger(__name__)

# Never stored: credentials a proxy might have added. Signature headers are kept for audits and replays.
_DROPPED_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "proxy-authorization"})
_COUNTED_AS: dict[str, WebhookOutcome] = {"processed": "processed", "ignored": "ignored"}  # anything else: failed
MAX_EVENT_ID_LENGTH = 255
"""The inbox keys events by (provider, event id) and stores their type in columns this long. No provider's ids
come near it; a longer one is refused as malformed before anything is stored, rather than failing in the store."""


class WebhookProcessor:
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
        self._notices = NoticeFollower(uow)

    async def receive(self, provider_name: str, headers: Mapping[str, str], body: bytes) -> WebhookReceipt:
        """A delivery: verified over the raw body (InvalidSignature/MalformedWebhook: nothing stored), then
        recorded and applied."""
        provider = self._providers.get(provider_name)
        try:
            parsed = provider.parse_webhook(headers, body)
            if (
                isinstance(parsed, ProviderEvent)
                and max(len(parsed.event_id), len(parsed.event_type)) > MAX_EVENT_ID_LENGTH
            ):
                raise MalformedWebhook(provider.name, f"event id or type longer than {MAX_EVENT_ID_LENGTH} characters")
        except InvalidSignature:  # MalformedWebhook too: nothing is stored
            self._metrics.webhook_event(provider.name, "invalid_signature")
            raise
        if isinstance(parsed, ProviderNotice):
            receipt = await self._follow(provider, parsed, body, headers, stored=None)
        else:
            receipt = await self._record(provider, parsed, body, headers)
        return self._counted(provider.name, receipt)

    async def accept(
        self, provider: PaymentProvider, event: ProviderEvent, body: bytes, headers: Mapping[str, str]
    ) -> WebhookReceipt:
        """An event already authenticated another way (pulled from the provider's API with our key): recorded by
        (provider, event id), so one we already have is a duplicate that changes nothing, then applied."""
        return self._counted(provider.name, await self._record(provider, event, body, headers))

    async def reprocess(self, stored: StoredWebhook, cause: Cause | None = None) -> WebhookReceipt:
        """Verifies the stored raw body again, as of its `received_at` (never skipped: a stored forgery stays
        unapplied), then applies it like a fresh delivery. A refused event is marked failed with the reason.
        A `processed` event stays processed: replaying it changes nothing (the state machine is idempotent)."""
        try:
            provider = self._providers.get(stored.provider)
            parsed = await reverified(provider, stored)  # a signature, or the provider's API for a pulled event
            if isinstance(parsed, ProviderEvent) and (parsed.provider, parsed.event_id) != (
                stored.provider,
                stored.event_id,
            ):
                raise MalformedWebhook(stored.provider, f"the stored body is event {parsed.event_id}")
        except (InvalidSignature, MalformedWebhook, UnknownProvider, ProviderError, ProviderUnavailable) as refused:
            reason = f"stored event refused on reprocessing: {refused}"
            await self._mark_failed(stored.id, reason, stored.payment_id, previous=stored.status)
            return self._counted(stored.provider, WebhookReceipt(stored.id, False, _after_failure(stored.status)))
        if isinstance(parsed, ProviderNotice):
            receipt = await self._follow(provider, parsed, stored.body, stored.headers, stored=stored, cause=cause)
        else:
            receipt = await self._apply_stored(provider, stored.id, parsed, cause=cause, previous=stored.status)
        return self._counted(provider.name, receipt)

    # ---- the paths --------------------------------------------------------------------------------------------
    async def _record(
        self, provider: PaymentProvider, event: ProviderEvent, body: bytes, headers: Mapping[str, str]
    ) -> WebhookReceipt:
        entry = self._entry(provider.name, event, body, headers)
        try:
            async with self._uow as uow:
                # applied in this transaction: written as processed (the usual outcome), marked only if not
                applied = None if event.needs_confirmation else Applied(self._clock.now(), event.payment_id)
                receipt = await uow.inbox.record(entry, applied=applied)
                if receipt.duplicate:
                    return WebhookReceipt(receipt.id, True, "duplicate")
                if applied is not None:
                    return await self._apply_and_mark(uow, receipt.id, event, recorded_as=applied)
                await uow.commit()  # stored before the provider is asked: a slow provider cannot lose it
            return await self._apply_stored(provider, receipt.id, event)
        except StoreUnavailable:
            raise  # the provider gets a non-2xx and retries; nothing was acknowledged
        except Exception as error:  # a bug must not lose the event: store it as failed for a retry
            log.exception("webhook %s/%s could not be applied", entry.provider, entry.event_id)
            return await self._record_failed(entry, f"internal error while applying: {type(error).__name__}")

    async def _follow(
        self,
        provider: PaymentProvider,
        notice: ProviderNotice,
        body: bytes,
        headers: Mapping[str, str],
        *,
        stored: StoredWebhook | None,
        cause: Cause | None = None,
    ) -> WebhookReceipt:
        """A notice: each event the provider's answers make of it is recorded and applied; the stored row a retry
        or replay started from is applied in place (its event id is already in the inbox)."""
        events = await self._notices.events(provider, notice)
        receipts: list[WebhookReceipt] = []
        for event in events:
            if stored is not None and event.event_id == stored.event_id:
                receipts.append(
                    await self._apply_stored(provider, stored.id, event, cause=cause, previous=stored.status)
                )
            else:
                receipts.append(await self._record(provider, event, body, headers))
        if stored is not None and not any(r.id == stored.id for r in receipts):
            # the provider no longer reports what this row recorded: its newer news was recorded instead
            receipts.append(await self._settle_superseded(stored))
        return _combined(receipts)

    async def _apply_stored(
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
            confirmed = await provider.confirm(event, self._may_take_money) if event.needs_confirmation else event
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
        return WebhookReceipt(entry_id, False, _after_failure(previous))

    async def _apply_and_mark(
        self,
        uow: UnitOfWork,
        entry_id: str,
        event: ProviderEvent,
        cause: Cause | None = None,
        previous: InboxStatus = InboxStatus.RECEIVED,
        recorded_as: Applied | None = None,
    ) -> WebhookReceipt:
        outcome = await self._apply(uow, event, cause)
        if previous is InboxStatus.PROCESSED and outcome.status is not InboxStatus.PROCESSED:
            return WebhookReceipt(entry_id, False, previous.value)  # replayed, nothing changed: keep the record
        if recorded_as is None or outcome.status is not InboxStatus.PROCESSED:
            at = self._clock.now() if recorded_as is None else recorded_as.at
            await uow.inbox.mark(entry_id, outcome.status, reason=outcome.reason, payment_id=event.payment_id, at=at)
        await uow.commit()
        return WebhookReceipt(entry_id, False, outcome.status.value)

    async def _apply(self, uow: UnitOfWork, event: ProviderEvent, cause: Cause | None) -> Outcome:
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

    # ---- recording outcomes -------------------------------------------------------------------------------------
    async def _record_failed(self, entry: InboxEntry, reason: str) -> WebhookReceipt:
        async with self._uow as uow:
            receipt = await uow.inbox.record(entry)
            if not receipt.duplicate:
                await uow.inbox.mark(
                    receipt.id, InboxStatus.FAILED, reason=reason, payment_id=None, at=self._clock.now()
                )
            await uow.commit()
            return WebhookReceipt(receipt.id, receipt.duplicate, InboxStatus.FAILED.value)

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

    async def _settle_superseded(self, stored: StoredWebhook) -> WebhookReceipt:
        reason = "superseded: the provider now reports something else (recorded as its own event)"
        return await self._mark_ignored(stored.id, reason, stored.payment_id, stored.status)

    async def _mark_ignored(
        self, entry_id: str, reason: str, payment_id: str | None, previous: InboxStatus
    ) -> WebhookReceipt:
        if previous is InboxStatus.PROCESSED:
            return WebhookReceipt(entry_id, False, previous.value)
        async with self._uow as uow:
            await uow.inbox.mark(
                entry_id, InboxStatus.IGNORED, reason=reason, payment_id=payment_id, at=self._clock.now()
            )
            await uow.commit()
        return WebhookReceipt(entry_id, False, InboxStatus.IGNORED.value)

    async def _may_take_money(self, payment_id: str) -> bool:
        """Not for a payment we called off: a provider that took money by itself is obeyed (paid after cancel), but
        we never have one take it."""
        try:
            async with self._uow as uow:
                payment = await uow.payments.get(payment_id)
        except PaymentNotFound:
            return True  # not ours to judge: applying the outcome finds that out
        return payment.status not in CALLED_OFF

    def _entry(self, provider: str, event: ProviderEvent, body: bytes, headers: Mapping[str, str]) -> InboxEntry:
        return InboxEntry(
            id=self._ids.new("whe"),
            provider=provider,
            event_id=event.event_id,
            event_type=event.event_type,
            headers={k.lower(): v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS},
            body=body,
            received_at=self._clock.now(),
        )

    def _counted(self, provider: str, receipt: WebhookReceipt) -> WebhookReceipt:
        outcome = "duplicate" if receipt.duplicate else _COUNTED_AS.get(receipt.status, "failed")
        self._metrics.webhook_event(provider, outcome)
        return receipt


def _after_failure(previous: InboxStatus) -> str:
    return (InboxStatus.PROCESSED if previous is InboxStatus.PROCESSED else InboxStatus.FAILED).value


def _combined(receipts: list[WebhookReceipt]) -> WebhookReceipt:
    """One answer for a notice: the first stored row's id; a duplicate only if every event was one."""
    if not receipts:
        return WebhookReceipt(None, False, InboxStatus.IGNORED.value)
    fresh = [r for r in receipts if not r.duplicate]
    last = fresh[-1] if fresh else receipts[-1]
    return WebhookReceipt(receipts[0].id, not fresh, last.status)
