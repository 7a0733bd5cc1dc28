"""The payment state machine as a table: every status x every action either moves the payment and records
exactly the expected events, or changes nothing (an idempotent repeat), or raises exactly the expected error."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.payments import events as ev
from domain.payments.errors import (
    CaptureExceedsAuthorized,
    InvalidAmount,
    PaymentNotCancellable,
    PaymentNotCapturable,
    PaymentNotRefundable,
    RefundNotFound,
    TransitionNotAllowed,
)
from domain.payments.payment import CaptureMode, CheckoutDetails, Payment
from domain.payments.refund import RefundReason
from domain.payments.status import (
    LIVE_STATUSES,
    PAID_STATUSES,
    REFUNDABLE_STATUSES,
    TRANSITIONS,
    WITHOUT_REFUNDS,
    PaymentStatus,
)
from domain.shared.money import Money

S = PaymentStatus
CREATED = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
BUILT = CREATED + timedelta(minutes=5)
AT = CREATED + timedelta(hours=1)
AMOUNT = Money.of(10_000, "USD")
TARGET = "re_target"  # the refund the settle actions name


def payment_in(status: PaymentStatus) -> Payment:
    """A payment brought to `status` through its own methods, with the refund `re_target` where the status
    allows one: pending for succeeded, partially refunded and disputed; the full, succeeded one for refunded."""
    p = Payment.initiate("pay_1", "order-1", AMOUNT, "fake", CheckoutDetails(), CREATED, CaptureMode.MANUAL)
    reason = RefundReason.REQUESTED_BY_CUSTOMER
    match status:
        case S.PROCESSING:
            pass
        case S.AUTHORIZED:
            p.authorize(BUILT)
        case S.FAILED:
            p.fail("card_declined", BUILT)
        case S.EXPIRED:
            p.expire(BUILT)
        case S.CANCELLED:
            p.cancel("order cancelled", BUILT)
        case S.SUCCEEDED:
            p.succeed(BUILT)
            p.request_refund(TARGET, 1_000, reason, None, BUILT)
        case S.PARTIALLY_REFUNDED:
            p.succeed(BUILT)
            p.request_refund("re_done", 3_000, reason, None, BUILT)
            p.settle_refund_succeeded("re_done", BUILT)
            p.request_refund(TARGET, 1_000, reason, None, BUILT)
        case S.REFUNDED:
            p.succeed(BUILT)
            p.request_refund(TARGET, None, reason, None, BUILT)
            p.settle_refund_succeeded(TARGET, BUILT)
        case S.DISPUTED:
            p.succeed(BUILT)
            p.request_refund(TARGET, 1_000, reason, None, BUILT)
            p.dispute("fraudulent", BUILT)
    assert p.status is status
    p.pull_events()
    return p


ACTIONS: dict[str, Callable[[Payment], Any]] = {
    "authorize": lambda p: p.authorize(AT),
    "request_capture": lambda p: p.request_capture(7_000, AT),
    "request_capture_too_much": lambda p: p.request_capture(10_001, AT),
    "capture_failed": lambda p: p.capture_failed("card expired", AT),
    "succeed": lambda p: p.succeed(AT),
    "fail": lambda p: p.fail("card_declined", AT),
    "expire": lambda p: p.expire(AT),
    "cancel": lambda p: p.cancel("admin cancelled", AT),
    "dispute": lambda p: p.dispute("fraudulent", AT),
    "request_refund": lambda p: p.request_refund("re_new", 500, RefundReason.OTHER, None, AT),
    "settle_refund_succeeded": lambda p: p.settle_refund_succeeded(TARGET, AT),
    "settle_refund_failed": lambda p: p.settle_refund_failed(TARGET, "declined by bank", AT),
}


@dataclass(frozen=True)
class Moves:
    to: PaymentStatus
    events: tuple[tuple[type[ev.PaymentEvent], PaymentStatus, PaymentStatus], ...]


@dataclass(frozen=True)
class Raises:
    error: type[Exception]


NO_CHANGE = "no change"
TNA = Raises(TransitionNotAllowed)
NOT_REFUNDABLE = Raises(PaymentNotRefundable)
NO_REFUND = Raises(RefundNotFound)
NOT_CAPTURABLE = Raises(PaymentNotCapturable)
NOT_CANCELLABLE = Raises(PaymentNotCancellable)


def moves(to: PaymentStatus, *events: tuple[type[ev.PaymentEvent], PaymentStatus, PaymentStatus]) -> Moves:
    return Moves(to, events)


P, A, SU, F, E, C, PR, R, D = S.PROCESSING, S.AUTHORIZED, S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELLED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED  # fmt: skip
NOT_AUTHORIZED = (P, SU, F, E, C, PR, R, D)

# fmt: off
TABLE: dict[tuple[PaymentStatus, str], Moves | Raises | str] = {
    # authorize: a manual-capture payment's approval; news of it after the money was taken changes nothing
    (P, "authorize"): moves(A, (ev.PaymentAuthorized, P, A)),
    (A, "authorize"): NO_CHANGE,
    (SU, "authorize"): NO_CHANGE, (PR, "authorize"): NO_CHANGE, (R, "authorize"): NO_CHANGE, (D, "authorize"): NO_CHANGE,
    (F, "authorize"): TNA, (E, "authorize"): TNA, (C, "authorize"): TNA,
    # request_capture: only an authorization, within what it holds; the status waits for the provider
    (A, "request_capture"): moves(A, (ev.CaptureRequested, A, A)),
    **{(s, "request_capture"): NOT_CAPTURABLE for s in NOT_AUTHORIZED},
    (A, "request_capture_too_much"): Raises(CaptureExceedsAuthorized),
    **{(s, "request_capture_too_much"): NOT_CAPTURABLE for s in NOT_AUTHORIZED},
    # capture_failed: only while a capture is in flight (none is, in these states)
    **{(s, "capture_failed"): NO_CHANGE for s in (P, A, SU, F, E, C, PR, R, D)},
    # succeed: from processing or authorized (captured); every later state already implies it; after we
    # cancelled or expired the payment, the provider's word about money that moved still wins
    (P, "succeed"): moves(SU, (ev.PaymentSucceeded, P, SU)),
    (A, "succeed"): moves(SU, (ev.PaymentSucceeded, A, SU)),
    (SU, "succeed"): NO_CHANGE, (PR, "succeed"): NO_CHANGE, (R, "succeed"): NO_CHANGE, (D, "succeed"): NO_CHANGE,
    (E, "succeed"): moves(SU, (ev.PaymentSucceeded, E, SU)), (C, "succeed"): moves(SU, (ev.PaymentSucceeded, C, SU)),
    (F, "succeed"): TNA,
    # fail: only from processing
    (P, "fail"): moves(F, (ev.PaymentFailed, P, F)),
    (F, "fail"): NO_CHANGE,
    (A, "fail"): TNA, (SU, "fail"): TNA, (PR, "fail"): TNA, (R, "fail"): TNA, (D, "fail"): TNA, (E, "fail"): TNA,
    (C, "fail"): TNA,
    # expire: an open checkout, or a hold that lapsed
    (P, "expire"): moves(E, (ev.PaymentExpired, P, E)),
    (A, "expire"): moves(E, (ev.PaymentExpired, A, E)),
    (E, "expire"): NO_CHANGE,
    (SU, "expire"): TNA, (PR, "expire"): TNA, (R, "expire"): TNA, (D, "expire"): TNA, (F, "expire"): TNA, (C, "expire"): TNA,
    # cancel: an open checkout or an authorization (voided); a paid payment is refunded, not cancelled
    (P, "cancel"): moves(C, (ev.PaymentCancelled, P, C)),
    (A, "cancel"): moves(C, (ev.PaymentCancelled, A, C)),
    (C, "cancel"): NO_CHANGE,
    (SU, "cancel"): NOT_CANCELLABLE, (PR, "cancel"): NOT_CANCELLABLE, (R, "cancel"): NOT_CANCELLABLE,
    (D, "cancel"): NOT_CANCELLABLE, (F, "cancel"): NOT_CANCELLABLE, (E, "cancel"): NOT_CANCELLABLE,
    # dispute: from succeeded or partially refunded
    (SU, "dispute"): moves(D, (ev.PaymentDisputed, SU, D)),
    (PR, "dispute"): moves(D, (ev.PaymentDisputed, PR, D)),
    (D, "dispute"): NO_CHANGE,
    (P, "dispute"): TNA, (A, "dispute"): TNA, (F, "dispute"): TNA, (E, "dispute"): TNA, (C, "dispute"): TNA,
    (R, "dispute"): TNA,
    # request_refund: from succeeded or partially refunded; the status waits for the money to move
    (SU, "request_refund"): moves(SU, (ev.RefundRequested, SU, SU)),
    (PR, "request_refund"): moves(PR, (ev.RefundRequested, PR, PR)),
    (P, "request_refund"): NOT_REFUNDABLE, (A, "request_refund"): NOT_REFUNDABLE, (F, "request_refund"): NOT_REFUNDABLE,
    (E, "request_refund"): NOT_REFUNDABLE, (C, "request_refund"): NOT_REFUNDABLE,
    (R, "request_refund"): NOT_REFUNDABLE, (D, "request_refund"): NOT_REFUNDABLE,
    # settle_refund_succeeded: the payment follows its refunds, except while disputed
    (SU, "settle_refund_succeeded"): moves(PR, (ev.RefundSucceeded, SU, SU), (ev.PaymentPartiallyRefunded, SU, PR)),
    (PR, "settle_refund_succeeded"): moves(PR, (ev.RefundSucceeded, PR, PR), (ev.PaymentPartiallyRefunded, PR, PR)),
    (D, "settle_refund_succeeded"): moves(D, (ev.RefundSucceeded, D, D)),
    (R, "settle_refund_succeeded"): NO_CHANGE,
    (P, "settle_refund_succeeded"): NO_REFUND, (A, "settle_refund_succeeded"): NO_REFUND,
    (F, "settle_refund_succeeded"): NO_REFUND,
    (E, "settle_refund_succeeded"): NO_REFUND, (C, "settle_refund_succeeded"): NO_REFUND,
    # settle_refund_failed: releases the funds, never moves the payment; a succeeded refund cannot fail
    (SU, "settle_refund_failed"): moves(SU, (ev.RefundFailed, SU, SU)),
    (PR, "settle_refund_failed"): moves(PR, (ev.RefundFailed, PR, PR)),
    (D, "settle_refund_failed"): moves(D, (ev.RefundFailed, D, D)),
    (R, "settle_refund_failed"): TNA,
    (P, "settle_refund_failed"): NO_REFUND, (A, "settle_refund_failed"): NO_REFUND,
    (F, "settle_refund_failed"): NO_REFUND,
    (E, "settle_refund_failed"): NO_REFUND, (C, "settle_refund_failed"): NO_REFUND,
}
# fmt: on

CASES = list(itertools.product(PaymentStatus, ACTIONS))


def test_the_table_covers_every_status_and_action() -> None:
    assert set(TABLE) == set(CASES)


@pytest.mark.parametrize(("status", "action"), CASES, ids=[f"{s.value}-{a}" for s, a in CASES])
def test_every_status_and_action(status: PaymentStatus, action: str) -> None:
    payment = payment_in(status)
    before = copy.deepcopy(payment)
    expected = TABLE[(status, action)]

    if isinstance(expected, Raises):
        with pytest.raises(expected.error) as raised:
            ACTIONS[action](payment)
        assert type(raised.value) is expected.error
        if isinstance(raised.value, TransitionNotAllowed):
            assert raised.value.current is status
        assert payment.pending_events == ()
        assert payment == before
    elif expected == NO_CHANGE:
        assert ACTIONS[action](payment) is False
        assert payment.pending_events == ()
        assert payment == before
    else:
        assert isinstance(expected, Moves)
        assert ACTIONS[action](payment)
        assert payment.status is expected.to
        assert payment.updated_at == AT
        recorded = payment.pull_events()
        assert [(type(e), e.from_status, e.to_status) for e in recorded] == list(expected.events)
        assert all((e.payment_id, e.order_id, e.occurred_at) == ("pay_1", "order-1", AT) for e in recorded)


def test_the_transition_table_is_the_one_in_the_contract() -> None:
    assert dict(TRANSITIONS) == {
        P: {SU, F, E, C, A},
        A: {SU, C, E},
        SU: {PR, R, D},
        PR: {PR, R, D},
        F: set(),
        E: {SU},
        C: {SU},
        R: set(),
        D: set(),
    }
    assert set(LIVE_STATUSES) == {P, A, SU, PR, R, D}
    assert set(PAID_STATUSES) == {SU, PR, R, D}
    assert set(REFUNDABLE_STATUSES) == {SU, PR}


def test_a_payment_starts_processing_and_says_so() -> None:
    details = CheckoutDetails(callback_url="https://orders.example/cb", metadata={"cart": "c-9"})
    payment = Payment.initiate("pay_1", "order-1", AMOUNT, "fake", details, CREATED)
    assert (payment.status, payment.created_at, payment.updated_at, payment.version) == (P, CREATED, CREATED, 0)
    assert payment.details == details
    [initiated] = payment.pull_events()
    assert initiated == ev.PaymentInitiated(
        payment_id="pay_1",
        order_id="order-1",
        occurred_at=CREATED,
        from_status=None,
        to_status=P,
        amount=10_000,
        currency="USD",
        provider="fake",
    )
    assert payment.pull_events() == []  # handed over exactly once


@pytest.mark.parametrize("amount", [0, -1])
def test_a_payment_needs_a_positive_amount(amount: int) -> None:
    with pytest.raises(InvalidAmount) as refused:
        Payment.initiate("pay_1", "order-1", Money.of(amount, "USD"), "fake", CheckoutDetails(), CREATED)
    assert refused.value.amount == amount


def test_the_checkout_session_is_attached_once() -> None:
    payment = payment_in(P)
    assert payment.attach_checkout_session("cs_1", "https://pay.example/cs_1", AT + timedelta(hours=1), AT)
    assert (payment.provider_reference, payment.checkout_url, payment.expires_at) == (
        "cs_1",
        "https://pay.example/cs_1",
        AT + timedelta(hours=1),
    )
    [created] = payment.pull_events()
    assert isinstance(created, ev.CheckoutSessionCreated)
    assert created.data() == {
        "provider_reference": "cs_1",
        "checkout_url": "https://pay.example/cs_1",
        "expires_at": AT + timedelta(hours=1),
    }
    assert payment.attach_checkout_session("cs_1", "https://pay.example/cs_1", None, AT + timedelta(hours=2)) is False
    assert payment.pending_events == ()
    assert payment.updated_at == AT


def test_the_events_carry_what_happened() -> None:
    succeeded = payment_in(P)
    succeeded.succeed(AT)
    assert succeeded.pull_events()[0].data() == {"amount": 10_000, "currency": "USD"}

    failed = payment_in(P)
    failed.fail("card_declined", AT)
    assert failed.failure_reason == "card_declined"
    assert failed.pull_events()[0].data() == {"reason": "card_declined"}

    disputed = payment_in(SU)
    disputed.dispute("fraudulent", AT)
    assert disputed.pull_events()[0].data() == {"reason": "fraudulent"}

    cancelled = payment_in(P)
    cancelled.cancel("admin cancelled", AT)
    assert cancelled.pull_events()[0].data() == {"reason": "admin cancelled"}


def test_event_names_are_the_public_types() -> None:
    names = {
        ev.PaymentInitiated: "payment.initiated",
        ev.CheckoutSessionCreated: "payment.checkout_session_created",
        ev.PaymentRerouted: "payment.rerouted",
        ev.PaymentSucceeded: "payment.succeeded",
        ev.PaymentFailed: "payment.failed",
        ev.PaymentExpired: "payment.expired",
        ev.PaymentCancelled: "payment.cancelled",
        ev.PaymentDisputed: "payment.disputed",
        ev.PaymentPartiallyRefunded: "payment.partially_refunded",
        ev.PaymentRefunded: "payment.refunded",
        ev.RefundRequested: "refund.requested",
        ev.RefundSubmitted: "refund.submitted",
        ev.RefundSucceeded: "refund.succeeded",
        ev.RefundFailed: "refund.failed",
    }
    assert {kind: kind.name for kind in names} == names


def test_only_statuses_before_money_was_taken_are_without_refunds() -> None:
    # the repository skips reading refunds for these when it locks a payment: none may follow a refundable status
    assert {
        PaymentStatus.PROCESSING,
        PaymentStatus.AUTHORIZED,
        PaymentStatus.FAILED,
        PaymentStatus.EXPIRED,
        PaymentStatus.CANCELLED,
    } == WITHOUT_REFUNDS
    for status in REFUNDABLE_STATUSES:
        assert not TRANSITIONS[status] & WITHOUT_REFUNDS
