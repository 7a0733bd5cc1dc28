"""Stripe's manual-capture news → what it means for a held payment: webhooks, an unpaid completion confirmed by
its PaymentIntent, and the janitor's lookups (holds.py, lookups.hold_news)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from application.data.provider_news import EventAction, ProviderEvent
from domain.payments.payment import CaptureMode, CheckoutDetails, Payment
from domain.shared.money import Money
from infrastructure.providers.stripe import holds, lookups
from infrastructure.providers.stripe import objects as o
from infrastructure.providers.stripe.events import translate

CREATED = 1_760_000_000
CAPTURE_BEFORE = CREATED + 6 * 86400 + 3600
A = EventAction


def body(event_type: str, obj: dict[str, Any]) -> bytes:
    payload = {"id": "evt_1", "object": "event", "created": CREATED, "type": event_type, "data": {"object": obj}}
    return json.dumps(payload).encode()


def held_intent(**fields: Any) -> dict[str, Any]:
    return {
        "id": "pi_1",
        "object": "payment_intent",
        "amount": 5000,
        "amount_capturable": 5000,
        "amount_received": 0,
        "currency": "usd",
        "status": "requires_capture",
        "capture_method": "manual",
        "created": CREATED,
        "metadata": {"payment_id": "pay_1"},
        "latest_charge": "ch_1",
        **fields,
    }


def charge(**fields: Any) -> dict[str, Any]:
    """An uncaptured card charge, as `expand[]=latest_charge` shows it."""
    return {
        "id": "ch_1",
        "object": "charge",
        "amount": 5000,
        "amount_captured": 0,
        "captured": False,
        "currency": "usd",
        "payment_intent": "pi_1",
        "metadata": {"payment_id": "pay_1"},
        "payment_method_details": {"type": "card", "card": {"brand": "visa", "capture_before": CAPTURE_BEFORE}},
        **fields,
    }


def event(event_type: str, obj: dict[str, Any]) -> ProviderEvent:
    return translate(body(event_type, obj))


def as_intent(raw: dict[str, Any]) -> o.PaymentIntent:
    return msgspec.convert(raw, o.PaymentIntent)


# ---- webhooks ------------------------------------------------------------------------------------------------
def test_an_unpaid_completed_session_asks_its_payment_intent_rather_than_guessing() -> None:
    session = {"id": "cs_1", "client_reference_id": "pay_1", "metadata": {"payment_id": "pay_1"}}
    got = event("checkout.session.completed", {**session, "payment_status": "unpaid", "payment_intent": "pi_1"})
    assert (got.action, got.payment_id, got.provider_reference, got.needs_confirmation) == (
        A.NONE,
        "pay_1",
        "pi_1",
        True,
    )
    without_intent = event("checkout.session.completed", {**session, "payment_status": "unpaid"})
    assert (without_intent.action, without_intent.needs_confirmation) == (A.NONE, False)


def test_amount_capturable_updated_is_an_authorization_held_seven_days_from_the_intent() -> None:
    got = event("payment_intent.amount_capturable_updated", held_intent())
    assert (got.action, got.payment_id, got.amount, got.currency, got.provider_reference) == (
        A.PAYMENT_AUTHORIZED,
        "pay_1",
        5000,
        "USD",
        "pi_1",
    )
    # webhooks never expand the charge, so its capture_before is not at hand: Stripe's default hold of 7 days
    assert got.hold_until == datetime.fromtimestamp(CREATED, tz=UTC) + timedelta(days=7)


def test_the_charges_capture_before_is_the_end_of_the_hold_when_known() -> None:
    got = event("payment_intent.amount_capturable_updated", held_intent(latest_charge=charge()))
    assert got.hold_until == datetime.fromtimestamp(CAPTURE_BEFORE, tz=UTC)


@pytest.mark.parametrize(
    ("reason", "action"),
    [
        (None, A.PAYMENT_CANCELLED),  # our void
        ("requested_by_customer", A.PAYMENT_CANCELLED),
        ("abandoned", A.PAYMENT_CANCELLED),
        ("automatic", A.PAYMENT_EXPIRED),  # the hold lapsed uncaptured
        ("expired", A.PAYMENT_EXPIRED),  # its Checkout Session expired first
    ],
)
def test_a_canceled_payment_intent_is_a_void_or_a_lapse(reason: str | None, action: EventAction) -> None:
    got = event(
        "payment_intent.canceled", held_intent(status="canceled", amount_capturable=0, cancellation_reason=reason)
    )
    assert (got.action, got.payment_id, got.amount) == (action, "pay_1", None)
    assert got.reason is not None
    assert "pi_1" in got.reason


def test_a_partial_capture_succeeds_with_the_amount_received() -> None:
    intent = held_intent(status="succeeded", amount_capturable=0, amount_received=3000)
    got = event("payment_intent.succeeded", intent)
    assert (got.action, got.amount) == (A.PAYMENT_SUCCEEDED, 3000)
    captured = event("charge.captured", charge(captured=True, amount_captured=3000))
    assert (captured.action, captured.payment_id, captured.amount, captured.provider_reference) == (
        A.PAYMENT_SUCCEEDED,
        "pay_1",
        3000,
        "pi_1",
    )
    assert event("charge.captured", charge()).action is A.NONE  # not captured: no money moved


def test_isk_holds_convert_from_stripes_units() -> None:
    got = event("payment_intent.amount_capturable_updated", held_intent(currency="isk", amount_capturable=50_000))
    assert (got.action, got.amount, got.currency) == (A.PAYMENT_AUTHORIZED, 500, "ISK")


# ---- confirm: the PaymentIntent as read from Stripe ----------------------------------------------------------
UNPAID = ProviderEvent(
    "stripe",
    "evt_1",
    "checkout.session.completed",
    A.NONE,
    payment_id="pay_1",
    provider_reference="pi_1",
    reason="payment_status unpaid: waiting for checkout.session.async_payment_*",
    needs_confirmation=True,
)


@pytest.mark.parametrize(
    ("fields", "action", "amount"),
    [
        ({}, A.PAYMENT_AUTHORIZED, 5000),
        ({"status": "succeeded", "amount_received": 4000, "amount_capturable": 0}, A.PAYMENT_SUCCEEDED, 4000),
        ({"status": "canceled", "cancellation_reason": "automatic"}, A.PAYMENT_EXPIRED, None),
        ({"status": "processing", "capture_method": "automatic"}, A.NONE, None),  # a delayed method: still no news
    ],
)
def test_an_unpaid_completion_is_what_its_payment_intent_says(
    fields: dict[str, Any], action: EventAction, amount: int | None
) -> None:
    got = holds.confirmed(UNPAID, as_intent(held_intent(latest_charge=charge(), **fields)))
    assert (got.action, got.amount, got.event_id, got.event_type, got.payment_id) == (
        action,
        amount,
        "evt_1",
        "checkout.session.completed",
        "pay_1",
    )
    assert not got.needs_confirmation
    if action is A.PAYMENT_AUTHORIZED:
        assert got.hold_until == datetime.fromtimestamp(CAPTURE_BEFORE, tz=UTC)
    if action is A.NONE:
        assert got.reason is not None
        assert "unpaid" in got.reason
        assert "processing" in got.reason


# ---- lookups (the janitor) -------------------------------------------------------------------------------------
def held_payment(*, capture_asked_at: datetime | None = None) -> Payment:
    at = datetime.now(UTC) - timedelta(days=1)
    payment = Payment.initiate(
        "pay_1", "order-1", Money.of(5000, "USD"), "stripe", CheckoutDetails(), at, capture=CaptureMode.MANUAL
    )
    payment.authorize(at)
    if capture_asked_at is not None:
        payment.request_capture(3000, capture_asked_at)
    return payment


def test_a_lookup_of_a_hold_says_held_captured_or_let_go() -> None:
    now = datetime.now(UTC)
    held = lookups.hold_news(as_intent(held_intent()), held_payment())
    assert held is not None
    assert (held.action, held.amount, held.payment_id) == (A.PAYMENT_AUTHORIZED, 5000, "pay_1")
    assert held.hold_until is not None
    assert held == lookups.hold_news(as_intent(held_intent()), held_payment())  # the same news, the same id

    captured = as_intent(held_intent(status="succeeded", amount_received=3000, amount_capturable=0))
    settled = lookups.hold_news(captured, held_payment(capture_asked_at=now - timedelta(seconds=3)))
    assert settled is not None
    assert (settled.action, settled.amount) == (A.PAYMENT_SUCCEEDED, 3000)

    lapsed = as_intent(held_intent(status="canceled", cancellation_reason="automatic"))
    expired = lookups.hold_news(lapsed, held_payment())
    assert expired is not None
    assert expired.action is A.PAYMENT_EXPIRED

    still_trying = as_intent(held_intent(status="requires_payment_method", amount_capturable=0))
    assert lookups.hold_news(still_trying, held_payment()) is None


def test_a_capture_stripe_never_made_is_looked_up_as_still_held() -> None:
    """Whether a capture in flight long ago failed is the janitor's conclusion (run_janitor.py), from this."""
    intent = as_intent(held_intent())  # still requires_capture: the capture never reached Stripe
    news = lookups.hold_news(intent, held_payment(capture_asked_at=datetime.now(UTC) - timedelta(minutes=10)))
    assert news is not None
    assert (news.action, news.payment_id, news.amount) == (A.PAYMENT_AUTHORIZED, "pay_1", 5000)
