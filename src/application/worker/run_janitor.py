"""The janitor: asks providers about payments stuck in `processing` and refunds stuck in `pending`, and settles
them through the same translation (`apply_event`) and state machine as webhooks. Run by the worker's loop and by
POST /api/v1/reconciliation/runs, both through the bus.

Providers do not guarantee delivery (Flutterwave is at-most-once by default), so a payment whose webhook never
came must still end: the janitor asks the provider on a growing schedule (`janitor_schedule.CHECK_GAPS`),
applies what it says, and expires a checkout that can no longer be paid. A refund is only ever *asked about*,
never sent again: a refund call that timed out may have reached the provider, and Paystack has no idempotency on
refunds.

Each pass first asks every enabled provider for the events it knows it failed to deliver (`missed_events`,
Stripe's `GET /v1/events?delivery_success=false`) over the last `MISSED_EVENTS_WINDOW`, and hands each to the
webhook processor exactly like a delivery: recorded by (provider, event id), so one we already have is a
duplicate that changes nothing, then applied by the same state machine, audited as source "webhook".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import datetime

from application.data.cause import Cause
from application.data.janitor import DueCheck
from application.data.provider_news import EventAction, ProviderEvent
from application.data.webhook_events import InboxStatus
from application.errors import ApplicationError, ProviderError
from application.messages import Command
from application.ports.clock import Clock
from application.ports.janitor_store import JanitorStore
from application.ports.payment_provider import PaymentProvider, PaymentProviders
from application.ports.unit_of_work import UnitOfWork
from application.webhooks.effects import apply_event
from application.webhooks.processor import WebhookProcessor
from application.worker.janitor_report import JanitorChange, JanitorError, JanitorReport, Tally
from application.worker.janitor_schedule import (
    BATCH,
    CAPTURE_ANSWER_WAIT,
    EXPIRY_GRACE,
    FIRST_CHECK_AFTER,
    JANITOR,
    LEASE,
    MISSED_EVENTS_WINDOW,
    NO_EXPIRY_MAX_AGE,
    PULLED_HEADERS,
    next_gap,
)
from application.worker.unanswered_checkouts import UnansweredCheckouts
from domain.payments.payment import Payment
from domain.payments.status import OPEN_STATUSES, PaymentStatus, RefundStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunJanitor(Command[JanitorReport]):
    actor: str | None = None  # the admin key's name, or None for the worker's scheduled pass
    limit: int = BATCH  # payments and refunds each, per pass


class RunJanitorHandler:
    """One pass over what is due. Never crashes on a provider or a single payment: each failure is reported and
    the row rescheduled. No transaction is held across a provider call."""

    def __init__(
        self,
        uow: UnitOfWork,
        providers: PaymentProviders,
        store: JanitorStore,
        clock: Clock,
        webhooks: WebhookProcessor,
        unanswered: UnansweredCheckouts,
    ) -> None:
        self._uow, self._providers, self._store, self._clock = uow, providers, store, clock
        self._webhooks, self._unanswered = webhooks, unanswered

    async def __call__(self, cmd: RunJanitor) -> JanitorReport:
        """`cmd.actor`: who asked for this pass (an admin's key name); recorded in the audit trail's actor."""
        actor, limit = cmd.actor, cmd.limit
        started = self._clock.now()
        cause_actor = JANITOR if actor is None else f"{JANITOR}:{actor}"
        tally = Tally()
        for name in self._providers.names():
            await self._pull_missed_events(name, started - MISSED_EVENTS_WINDOW, tally)
        due_payments = await self._store.claim_due_payments(
            started, first_check_after=FIRST_CHECK_AFTER, lease=LEASE, limit=limit
        )
        for due in due_payments:
            tally.payments += 1
            await self._guarded(due, tally, self._check_payment(due, tally, cause_actor))
        due_refunds = await self._store.claim_due_refunds(
            started, first_check_after=FIRST_CHECK_AFTER, lease=LEASE, limit=limit
        )
        for due in due_refunds:
            tally.refunds += 1
            await self._guarded(due, tally, self._check_refund(due, tally, cause_actor))
        report = tally.report(started, self._clock.now())
        if report.pulled_events:
            log.info("janitor pulled %d undelivered events, %d new", report.pulled_events, report.new_events)
        if report.checked:
            log.info(
                "janitor checked %d payments and %d refunds: %d changed, %d errors",
                report.checked_payments,
                report.checked_refunds,
                len(report.changed),
                len(report.errors),
            )
        return report

    async def _pull_missed_events(self, name: str, since: datetime, tally: Tally) -> None:
        """Once per pass per provider; a provider that cannot answer is reported, and asked again next pass."""
        try:
            provider = self._providers.get(name)
            for pulled in await provider.missed_events(since):
                tally.pulled += 1
                receipt = await self._webhooks.accept(provider, pulled.event, pulled.body, PULLED_HEADERS)
                if not receipt.duplicate:
                    tally.new += 1
        except Exception as error:  # the store or the provider is down: the next pass asks again
            if not isinstance(error, ApplicationError):
                log.exception("janitor could not pull missed events from %s", name)
            tally.errors.append(JanitorError("", None, f"{name}: missed events: {_describe(error)}"))

    async def _guarded(self, due: DueCheck, tally: Tally, check: Awaitable[None]) -> None:
        try:
            await check
        except Exception as error:  # a provider outage or one broken payment must not stop the pass
            if not isinstance(error, ApplicationError):
                log.exception("janitor check of %s failed", due.refund_id or due.payment_id)
            tally.errors.append(JanitorError(due.payment_id, due.refund_id, _describe(error)))
            try:
                await self._reschedule(due, tally)
            except Exception:  # the store is down: the lease runs out and the row comes back
                log.exception("janitor could not reschedule %s", due.refund_id or due.payment_id)

    async def _check_payment(self, due: DueCheck, tally: Tally, actor: str) -> None:
        """An open checkout, or a hold (authorized): asked about, then expired once past its deadline with no
        final word. A hold whose capture may already have happened (capture_pending) is never expired here."""
        payment = await self._load(due.payment_id)
        if payment.status not in OPEN_STATUSES:
            return  # settled since it was claimed (a webhook won): nothing to ask
        provider = self._providers.get(payment.provider)
        event = await provider.lookup_payment(payment)
        if event is None and payment.reroutable:  # its checkout call got no answer: unanswered_checkouts.py
            payment = await self._unanswered.find_session(provider, payment, Cause("worker", actor))
        now = self._clock.now()
        if _capture_not_made(payment, event, now):
            event = _capture_failure(payment)
        if event is None and now >= _deadline(payment) and not payment.capture_pending:
            if payment.status is PaymentStatus.AUTHORIZED:
                await _release(provider, payment)
            event = _expiry(payment)
            cause = Cause("worker", actor)
        else:
            cause = Cause("worker", actor, None if event is None else event.event_id)
        if event is None or not await self._apply(replace(event, payment_id=payment.id), cause, tally, None):
            await self._reschedule(due, tally, before=_next_look(payment, now))

    async def _check_refund(self, due: DueCheck, tally: Tally, actor: str) -> None:
        assert due.refund_id is not None
        payment = await self._load(due.payment_id)
        refund = payment.refund(due.refund_id)
        if refund.status is not RefundStatus.PENDING:
            return
        # only asked about, never sent again: a timed-out refund call may have reached the provider
        event = await self._providers.get(payment.provider).lookup_refund(payment, refund)
        if event is not None:
            event = replace(event, payment_id=payment.id, refund_id=event.refund_id or refund.id)
            if await self._apply(event, Cause("worker", actor, event.event_id), tally, refund.id):
                return
        await self._reschedule(due, tally)

    async def _load(self, payment_id: str) -> Payment:
        async with self._uow as uow:
            return await uow.payments.get(payment_id)

    async def _apply(self, event: ProviderEvent, cause: Cause, tally: Tally, refund_id: str | None) -> bool:
        """In one transaction, under the payment's row lock; True when the payment changed."""
        assert event.payment_id is not None
        async with self._uow as uow:
            payment = await uow.payments.get(event.payment_id, for_update=True)
            before = _status_of(payment, refund_id)
            outcome = apply_event(payment, event, self._clock.now())
            if outcome.status is not InboxStatus.PROCESSED:
                if outcome.status is InboxStatus.FAILED:
                    raise _NotApplicable(outcome.reason or "not applicable")
                log.info("janitor: %s on %s: %s", event.event_type, payment.id, outcome.reason)
                return False
            after = _status_of(payment, refund_id)
            await uow.payments.save(payment, cause)
            await uow.commit()
        tally.changed.append(JanitorChange(payment.id, refund_id, before, after, cause.provider_event_id))
        return True

    async def _reschedule(self, due: DueCheck, tally: Tally, *, before: datetime | None = None) -> None:
        """The next check after a growing gap, but no later than `before` (a hold's end) while that is ahead."""
        checks, now = due.checks + 1, self._clock.now()
        at = now + next_gap(checks)
        if before is not None and now < before < at:
            at = before
        if due.refund_id is None:
            await self._store.schedule_payment(due.payment_id, checks, at)
        else:
            await self._store.schedule_refund(due.refund_id, checks, at)
        tally.rescheduled += 1


class _NotApplicable(ApplicationError):
    """The provider's answer could not be applied yet (e.g. it names a refund we do not know)."""


def _expiry(payment: Payment) -> ProviderEvent:
    held = payment.status is PaymentStatus.AUTHORIZED
    return ProviderEvent(
        provider=payment.provider,
        event_id=f"{JANITOR}:expire:{payment.id}",
        event_type="janitor.authorization_lapsed" if held else "janitor.checkout_expired",
        action=EventAction.PAYMENT_EXPIRED,
        payment_id=payment.id,
        reason=(
            "the authorization lapsed without a capture"
            if held
            else "the checkout expired without a final word from the provider"
        ),
    )


async def _release(provider: PaymentProvider, payment: Payment) -> None:
    """A lapsed hold is voided before we call it expired: past PayPal's honor period the authorization still
    holds the buyer's funds for weeks. A provider that cannot answer now is asked again next pass (the error
    reschedules the check); one that refuses no longer holds anything we could release."""
    try:
        await provider.cancel(payment)
    except ProviderError as refused:
        log.info("janitor: releasing the lapsed hold of %s was refused: %s", payment.id, refused)


def _capture_not_made(payment: Payment, event: ProviderEvent | None, now: datetime) -> bool:
    """The provider still holds the funds with nothing captured, well after we asked for a capture whose answer we
    never got: the request never reached it."""
    still_held = event is not None and event.action is EventAction.PAYMENT_AUTHORIZED
    return payment.capture_pending and still_held and now - payment.updated_at >= CAPTURE_ANSWER_WAIT


def _capture_failure(payment: Payment) -> ProviderEvent:
    return ProviderEvent(
        provider=payment.provider,
        event_id=f"{JANITOR}:capture_not_made:{payment.capture_key}",
        event_type="janitor.capture_not_made",
        action=EventAction.PAYMENT_FAILED,  # for a hold: the capture in flight failed, the hold stands
        payment_id=payment.id,
        reason="the capture we asked for never reached the provider: the hold stands and may be captured again",
    )


def _next_look(payment: Payment, now: datetime) -> datetime | None:
    """A hold is asked about again as it ends, and a capture in flight soon after its answer is due."""
    if payment.status is not PaymentStatus.AUTHORIZED:
        return None
    if payment.capture_pending:
        return max(now, payment.updated_at + CAPTURE_ANSWER_WAIT)
    return payment.expires_at


def _deadline(payment: Payment) -> datetime:
    """An open checkout: its expiry (a hold: the end of the hold); without one, a day after it was made."""
    expires = payment.expires_at if payment.expires_at is not None else payment.created_at + NO_EXPIRY_MAX_AGE
    return expires + EXPIRY_GRACE


def _status_of(payment: Payment, refund_id: str | None) -> str:
    return payment.status.value if refund_id is None else payment.refund(refund_id).status.value


def _describe(error: Exception) -> str:
    if isinstance(error, ApplicationError):
        return str(error)
    return f"internal error: {type(error).__name__}"
