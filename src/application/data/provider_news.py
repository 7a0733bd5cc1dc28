"""What providers tell us and answer, translated: checkout sessions, refund answers, events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.payments.status import RefundStatus


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    provider_reference: str
    checkout_url: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProviderCapture:
    """The provider's answer to a capture: `succeeded` when it confirmed in the call; `pending` when it will
    confirm later (its webhook, or the janitor's lookup, settles the payment)."""

    succeeded: bool
    provider_reference: str | None = None  # the capture's own id at the provider, when it has one


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    """The provider's answer to a refund request: usually `pending` with its reference."""

    provider_reference: str
    status: RefundStatus
    failure_reason: str | None = None


class EventAction(StrEnum):
    """What a provider event means for us, whatever the provider called it."""

    PAYMENT_AUTHORIZED = "payment_authorized"  # manual capture: the customer approved, the funds are held
    PAYMENT_SUCCEEDED = "payment_succeeded"  # the money was taken (for a held payment: captured)
    PAYMENT_FAILED = "payment_failed"  # for a held payment with a capture in flight: that capture failed
    PAYMENT_CANCELLED = "payment_cancelled"  # the provider voided the authorization or closed the checkout
    PAYMENT_EXPIRED = "payment_expired"
    PAYMENT_DISPUTED = "payment_disputed"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    NONE = "none"  # a verified event we store but do not act on (e.g. `payment_status: unpaid`)


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """A verified webhook, translated. `payment_id` is ours (providers carry it back to us)."""

    provider: str
    event_id: str
    event_type: str
    action: EventAction
    payment_id: str | None = None
    provider_reference: str | None = None
    refund_id: str | None = None  # ours or the provider's refund reference
    amount: int | None = None  # minor units, when the event states an amount
    currency: str | None = None
    reason: str | None = None
    occurred_at: datetime | None = None
    hold_until: datetime | None = None  # an authorization: when the provider lets the hold lapse
    # True when the provider must be asked before we act (Paystack/Flutterwave re-verify a charge, PayPal
    # captures an approved order): the handler stores the event first, calls `confirm` outside any transaction,
    # then applies what `confirm` returned.
    needs_confirmation: bool = False
    # True when the provider's refund events may not name the refund (Paystack names the transaction): a
    # `refund_id` that names none of the payment's refunds is then matched by amount (`refund_matching.py`).
    refund_by_amount: bool = False
    # Our refund ids the provider's API reports in this event's state and amount (Paystack's refund list, read in
    # `confirm`): a `refund_by_amount` event is matched among these when any is the payment's.
    vouched_refund_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MissedEvent:
    """An event the provider failed to deliver, pulled back over its API: translated exactly like a webhook,
    with the event's raw JSON `body` kept so it is stored in the inbox like a delivered one."""

    event: ProviderEvent
    body: bytes


@dataclass(frozen=True, slots=True)
class ProviderNotice:
    """A webhook that carries no event, only "something changed about this payment" (Mollie sends just its
    payment id, unsigned). Nothing in it is believed: the processor looks the reference up among our own payments
    (an unknown one is answered and dropped, so nobody can make us call the provider at will), then asks the
    provider about that payment and its pending refunds and records each answer like a delivered event."""

    provider: str
    provider_reference: str
    event_type: str = "notice"
