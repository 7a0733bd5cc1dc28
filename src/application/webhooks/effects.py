"""What a verified provider event does to a payment: the one translation from provider news to domain calls.

Used by the webhook processor (deliveries, retries, replays, pulled events) and by the janitor's lookups, so
every way news reaches us settles payments through the same state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.data.provider_news import EventAction, ProviderEvent
from application.data.webhook_events import InboxStatus
from application.webhooks.refund_matching import with_matched_refund
from domain.payments.errors import PaymentNotCancellable, RefundNotFound, TransitionNotAllowed
from domain.payments.payment import CaptureMode, Payment
from domain.payments.status import PaymentStatus, status_phrase


@dataclass(frozen=True, slots=True)
class Outcome:
    status: InboxStatus
    reason: str | None = None


def apply_event(payment: Payment, event: ProviderEvent, at: datetime) -> Outcome:
    """Changes `payment` in memory and says how the event should be recorded. Never raises domain errors."""
    event = with_matched_refund(payment, event)
    mismatch = _foreign_provider(payment, event) or _foreign_money(payment, event)
    if mismatch:
        return Outcome(InboxStatus.IGNORED, mismatch)
    try:
        changed = _dispatch(payment, event, at)
    except (TransitionNotAllowed, PaymentNotCancellable) as stale:
        return Outcome(InboxStatus.IGNORED, f"stale or out-of-order event: {stale}")
    except RefundNotFound as missing:
        return Outcome(InboxStatus.FAILED, f"{missing} (yet)")
    if not changed:
        return Outcome(InboxStatus.IGNORED, f"no change: the payment {status_phrase(payment.status)}")
    return Outcome(InboxStatus.PROCESSED)


def _dispatch(payment: Payment, event: ProviderEvent, at: datetime) -> bool:
    reason = event.reason or event.event_type
    match event.action:
        case EventAction.PAYMENT_AUTHORIZED:
            return payment.authorize(at, event.hold_until)
        case EventAction.PAYMENT_SUCCEEDED:
            return payment.succeed(at, event.amount)
        case EventAction.PAYMENT_FAILED if payment.status is PaymentStatus.AUTHORIZED:
            return payment.capture_failed(reason, at)  # the hold stands; only the capture in flight failed
        case EventAction.PAYMENT_FAILED:
            return payment.fail(reason, at)
        case EventAction.PAYMENT_CANCELLED:
            return payment.cancel(reason, at)
        case EventAction.PAYMENT_EXPIRED:
            return payment.expire(at)
        case EventAction.PAYMENT_DISPUTED:
            return payment.dispute(reason, at)
        case EventAction.REFUND_SUCCEEDED:
            return payment.settle_refund_succeeded(_refund_id(event), at)
        case EventAction.REFUND_FAILED:
            return payment.settle_refund_failed(_refund_id(event), reason, at)
        case EventAction.NONE:
            return False


def _refund_id(event: ProviderEvent) -> str:
    if event.refund_id is None:
        raise RefundNotFound(event.payment_id or "?", "(none named)")
    return event.refund_id


def _foreign_provider(payment: Payment, event: ProviderEvent) -> str | None:
    """Only the payment's own provider may settle it: one provider's webhook secret must not move another's."""
    if event.provider in payment.providers_tried[:-1] and event.provider != payment.provider:
        # a checkout left behind by failover (its session was never shown): worth a person's look if it moved money
        return f"event from {event.provider}, which this payment left for {payment.provider} (failover)"
    if event.provider != payment.provider:
        return f"event from {event.provider} about a payment made with {payment.provider}"
    return None


def _foreign_money(payment: Payment, event: ProviderEvent) -> str | None:
    """An event about a different amount or currency than ours is not about this payment as we know it."""
    if event.currency is not None and event.currency.upper() != payment.amount.currency.code:
        return f"currency {event.currency} does not match the payment's {payment.amount.currency}"
    if event.amount is None:
        return None
    if event.action is EventAction.PAYMENT_SUCCEEDED and event.amount != _expected_taken(payment, event.amount):
        return f"amount {event.amount} does not match the payment's {_expected_taken(payment, event.amount)}"
    if event.action is EventAction.PAYMENT_AUTHORIZED and event.amount != payment.amount.amount:
        return f"amount {event.amount} does not match the payment's {payment.amount.amount}"
    if event.action in (EventAction.REFUND_SUCCEEDED, EventAction.REFUND_FAILED) and event.refund_id:
        try:
            refund = payment.refund(event.refund_id)
        except RefundNotFound:
            return None
        if event.amount != refund.amount.amount:
            return f"amount {event.amount} does not match refund {refund.id}'s {refund.amount.amount}"
    return None


def _expected_taken(payment: Payment, reported: int) -> int:
    """What a success must report taking: the whole amount, or for a held payment the capture we asked for
    (any amount up to the authorization when none was asked for: a capture made at the provider directly)."""
    if payment.capture is not CaptureMode.MANUAL:
        return payment.amount.amount
    if payment.capture_requested is not None:
        return payment.capture_requested
    return reported if 0 < reported <= payment.amount.amount else payment.amount.amount
