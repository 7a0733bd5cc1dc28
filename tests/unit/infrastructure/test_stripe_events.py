"""Stripe's webhook events → what they mean for us: the translation table of PROVIDERS.md, one row per case."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import MalformedWebhook
from domain.shared.money import Currency
from infrastructure.providers.stripe import currencies
from infrastructure.providers.stripe.events import translate

CREATED = 1_760_000_000
A = EventAction


def body(event_type: str, obj: dict[str, Any], **envelope: Any) -> bytes:
    payload = {
        "id": "evt_1",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": CREATED,
        "type": event_type,
        "data": {"object": obj},
        **envelope,
    }
    return json.dumps(payload).encode()


def session(**fields: Any) -> dict[str, Any]:
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "client_reference_id": "pay_1",
        "metadata": {"payment_id": "pay_1", "order_id": "o-1"},
        "amount_total": 5000,
        "currency": "usd",
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_1",
        **fields,
    }


def intent(**fields: Any) -> dict[str, Any]:
    base = {"id": "pi_1", "object": "payment_intent", "amount": 5000, "amount_received": 5000, "currency": "usd"}
    return {**base, "status": "succeeded", "metadata": {"payment_id": "pay_1"}, **fields}


def refund(**fields: Any) -> dict[str, Any]:
    base = {"id": "re_1", "object": "refund", "amount": 1500, "currency": "usd", "payment_intent": "pi_1"}
    return {**base, "status": "succeeded", "metadata": {"refund_id": "re_ours", "payment_id": "pay_1"}, **fields}


def event(event_type: str, obj: dict[str, Any]) -> ProviderEvent:
    return translate(body(event_type, obj))


# ---- Checkout Sessions -------------------------------------------------------------------------------------
def test_a_paid_completed_session_is_a_success_with_everything_stated() -> None:
    got = event("checkout.session.completed", session())
    assert got == ProviderEvent(
        provider="stripe",
        event_id="evt_1",
        event_type="checkout.session.completed",
        action=A.PAYMENT_SUCCEEDED,
        payment_id="pay_1",
        provider_reference="cs_test_1",
        amount=5000,
        currency="USD",
        occurred_at=datetime.fromtimestamp(CREATED, tz=UTC),
    )


def test_no_payment_required_also_completes() -> None:
    assert (
        event("checkout.session.completed", session(payment_status="no_payment_required")).action is A.PAYMENT_SUCCEEDED
    )


def test_an_unpaid_completion_is_not_a_success_we_wait_for_the_async_events() -> None:
    got = event("checkout.session.completed", session(payment_status="unpaid"))
    assert (got.action, got.payment_id) == (A.NONE, "pay_1")
    assert got.reason is not None
    assert "unpaid" in got.reason


@pytest.mark.parametrize(
    ("event_type", "action"),
    [
        ("checkout.session.async_payment_succeeded", A.PAYMENT_SUCCEEDED),
        ("checkout.session.async_payment_failed", A.PAYMENT_FAILED),
        ("checkout.session.expired", A.PAYMENT_EXPIRED),
    ],
)
def test_the_other_session_events(event_type: str, action: EventAction) -> None:
    got = event(event_type, session(payment_status="unpaid", status="expired"))
    assert (got.action, got.payment_id, got.amount, got.currency) == (action, "pay_1", 5000, "USD")
    if action is A.PAYMENT_FAILED:
        assert got.reason


def test_the_payment_id_falls_back_to_client_reference_id() -> None:
    assert event("checkout.session.completed", session(metadata={})).payment_id == "pay_1"
    assert event("checkout.session.completed", session(metadata={}, client_reference_id=None)).payment_id is None


# ---- PaymentIntents ----------------------------------------------------------------------------------------
def test_a_succeeded_payment_intent_is_a_success_found_by_its_metadata() -> None:
    got = event("payment_intent.succeeded", intent(amount_received=4000))
    assert (got.action, got.payment_id, got.amount, got.currency) == (A.PAYMENT_SUCCEEDED, "pay_1", 4000, "USD")


def test_a_failed_attempt_does_not_end_the_checkout() -> None:
    error = {"message": "Your card was declined.", "code": "card_declined"}
    got = event("payment_intent.payment_failed", intent(status="requires_payment_method", last_payment_error=error))
    assert (got.action, got.payment_id) == (A.NONE, "pay_1")
    assert got.reason is not None
    assert "declined" in got.reason


# ---- Refunds -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("event_type", ["refund.created", "refund.updated", "refund.failed"])
@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("succeeded", A.REFUND_SUCCEEDED),
        ("failed", A.REFUND_FAILED),
        ("canceled", A.REFUND_FAILED),
        ("pending", A.NONE),
        ("requires_action", A.NONE),
    ],
)
def test_refund_events_follow_the_refund_status(event_type: str, status: str, action: EventAction) -> None:
    got = event(event_type, refund(status=status, failure_reason="lost_or_stolen_card" if status == "failed" else None))
    assert (got.action, got.refund_id, got.payment_id, got.provider_reference) == (action, "re_ours", "pay_1", "re_1")
    assert (got.amount, got.currency) == (1500, "USD")
    if status == "failed":
        assert got.reason is not None
        assert "lost_or_stolen_card" in got.reason


def test_a_refund_without_our_id_is_named_by_stripes_id() -> None:
    got = event("refund.updated", refund(metadata={"payment_id": "pay_1"}))
    assert (got.refund_id, got.action) == ("re_1", A.REFUND_SUCCEEDED)


def test_charge_refunded_settles_the_newest_embedded_refund() -> None:
    older = refund(id="re_old", created=1, metadata={"refund_id": "re_a"})
    newer = refund(id="re_new", created=2, amount=700, metadata={"refund_id": "re_b"})
    charge = {
        "id": "ch_1",
        "object": "charge",
        "amount": 5000,
        "currency": "usd",
        "metadata": {"payment_id": "pay_1"},
        "refunds": {"object": "list", "data": [older, newer]},
    }
    got = event("charge.refunded", charge)
    assert (got.action, got.refund_id, got.payment_id, got.amount) == (A.REFUND_SUCCEEDED, "re_b", "pay_1", 700)


def test_charge_refunded_without_embedded_refunds_is_no_news() -> None:
    got = event(
        "charge.refunded", {"id": "ch_1", "amount": 5000, "currency": "usd", "metadata": {"payment_id": "pay_1"}}
    )
    assert got.action is A.NONE
    assert got.reason


# ---- Disputes ----------------------------------------------------------------------------------------------
def dispute(**fields: Any) -> dict[str, Any]:
    base = {"id": "dp_1", "object": "dispute", "amount": 5000, "currency": "usd", "charge": "ch_1"}
    return {**base, "reason": "fraudulent", "metadata": {}, **fields}


def test_a_dispute_whose_payment_intent_is_expanded_names_our_payment() -> None:
    got = event("charge.dispute.created", dispute(payment_intent=intent()))
    assert (got.action, got.payment_id, got.amount, got.needs_confirmation) == (
        A.PAYMENT_DISPUTED,
        "pay_1",
        5000,
        False,
    )
    assert got.reason is not None
    assert "fraudulent" in got.reason


def test_a_dispute_naming_only_a_payment_intent_id_is_confirmed_through_the_api() -> None:
    got = event("charge.dispute.created", dispute(payment_intent="pi_1"))
    assert (got.action, got.payment_id, got.provider_reference) == (A.PAYMENT_DISPUTED, None, "pi_1")
    assert got.needs_confirmation


def test_a_dispute_without_any_payment_intent_is_no_news() -> None:
    got = event("charge.dispute.created", dispute(payment_intent=None))
    assert (got.action, got.needs_confirmation) == (A.NONE, False)
    assert got.reason


# ---- everything else -----------------------------------------------------------------------------------------
def test_unknown_event_types_are_stored_not_acted_on() -> None:
    got = event("customer.created", {"id": "cus_1", "anything": [1, 2.5]})
    assert (got.action, got.event_id, got.event_type) == (A.NONE, "evt_1", "customer.created")


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        json.dumps({"object": "event", "type": "checkout.session.completed", "created": 1, "data": {}}).encode(),
        body("checkout.session.completed", session(amount_total=50.0)),  # a float amount is never money to us
        body("checkout.session.completed", session(amount_total="5000")),
        body("refund.updated", {"amount": 100}),  # no id
        body("checkout.session.completed", session(), created=-1),
        body("checkout.session.completed", session(), created=2**40),  # year 36812: was a ValueError (500)
    ],
)
def test_unreadable_bodies_are_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        translate(raw)


# ---- money -------------------------------------------------------------------------------------------------------
def test_zero_decimal_amounts_pass_unchanged() -> None:
    assert event("checkout.session.completed", session(amount_total=5000, currency="jpy")).amount == 5000


def test_isk_is_two_decimal_at_stripe_and_zero_decimal_for_us() -> None:
    assert event("checkout.session.completed", session(amount_total=50_000, currency="isk")).amount == 500
    fractional = event("checkout.session.completed", session(amount_total=50_050, currency="isk"))
    assert fractional.action is A.NONE  # half a króna is no amount we ever asked for


def test_supported_currencies() -> None:
    assert all(currencies.supports(Currency(code)) for code in ("USD", "EUR", "JPY", "KWD", "ISK", "NGN"))
    assert not any(currencies.supports(Currency(code)) for code in ("MGA", "UGX", "IRR", "KPW"))
    assert currencies.to_stripe(500, Currency("ISK")) == 50_000
    assert currencies.to_stripe(1234, Currency("KWD")) == 1234
