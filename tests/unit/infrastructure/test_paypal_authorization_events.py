"""PayPal's events about holds → ProviderEvent: an approved AUTHORIZE order, PAYMENT.AUTHORIZATION.CREATED and
.VOIDED (voided or lapsed), and the completed capture of an authorization (the amount captured, in part)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.data.provider_news import EventAction
from application.errors import MalformedWebhook
from infrastructure.providers.paypal.events import translate
from tests.provider_fakes.paypal import webhook_event

A = EventAction
ORDER_ID, AUTHORIZATION_ID = "5O190127TN364715T", "0VF52814937998046"
CREATED = "2025-03-01T10:00:00Z"


def authorization(status: str = "CREATED", **extra: Any) -> dict[str, Any]:
    return {
        "id": AUTHORIZATION_ID,
        "status": status,
        "amount": {"currency_code": "USD", "value": "70.00"},
        "custom_id": "pay_01HELD",
        "invoice_id": "pay_01HELD",
        "create_time": CREATED,
        "expiration_time": "2025-03-30T10:00:00Z",
        "supplementary_data": {"related_ids": {"order_id": ORDER_ID}},
        **extra,
    }


def approved_order(intent: str) -> dict[str, Any]:
    unit = {"custom_id": "pay_01HELD", "amount": {"currency_code": "USD", "value": "70.00"}}
    return {"id": ORDER_ID, "intent": intent, "status": "APPROVED", "purchase_units": [unit]}


def capture_of_authorization(value: str) -> dict[str, Any]:
    related = {"order_id": ORDER_ID, "authorization_id": AUTHORIZATION_ID}
    return {"id": "2GG279541U471931P", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": value},
            "final_capture": True, "custom_id": "pay_01HELD", "supplementary_data": {"related_ids": related}}  # fmt: skip


# (event_type, resource) → (action, payment_id, provider_reference, amount, needs_confirmation)
CASES = [
    pytest.param("CHECKOUT.ORDER.APPROVED", approved_order("AUTHORIZE"),
                 (A.PAYMENT_AUTHORIZED, "pay_01HELD", ORDER_ID, 7000, True), id="approved-authorize-first"),
    pytest.param("CHECKOUT.ORDER.APPROVED", approved_order("CAPTURE"),
                 (A.PAYMENT_SUCCEEDED, "pay_01HELD", ORDER_ID, 7000, True), id="approved-capture-first"),
    pytest.param("PAYMENT.AUTHORIZATION.CREATED", authorization(),
                 (A.PAYMENT_AUTHORIZED, "pay_01HELD", ORDER_ID, 7000, False), id="authorized"),
    pytest.param("PAYMENT.AUTHORIZATION.CREATED", authorization(custom_id=None),
                 (A.PAYMENT_AUTHORIZED, "pay_01HELD", ORDER_ID, 7000, False), id="authorized-found-by-invoice-id"),
    pytest.param("PAYMENT.AUTHORIZATION.CREATED", authorization("PENDING", status_details={"reason": "PENDING_REVIEW"}),
                 (A.NONE, "pay_01HELD", ORDER_ID, 7000, False), id="authorization-pending"),
    pytest.param("PAYMENT.AUTHORIZATION.VOIDED", authorization("VOIDED"),
                 (A.PAYMENT_CANCELLED, "pay_01HELD", ORDER_ID, 7000, False), id="voided"),
    pytest.param("PAYMENT.AUTHORIZATION.VOIDED", authorization("EXPIRED"),
                 (A.PAYMENT_EXPIRED, "pay_01HELD", ORDER_ID, 7000, False), id="lapsed"),
    pytest.param("PAYMENT.AUTHORIZATION.CREATED", authorization(custom_id="SHOP-2", invoice_id="INV-2"),
                 (A.PAYMENT_AUTHORIZED, None, ORDER_ID, 7000, False), id="not-ours"),
    pytest.param("PAYMENT.CAPTURE.COMPLETED", capture_of_authorization("45.00"),
                 (A.PAYMENT_SUCCEEDED, "pay_01HELD", ORDER_ID, 4500, False), id="partial-capture-completed"),
]  # fmt: skip


@pytest.mark.parametrize(("event_type", "resource", "expected"), CASES)
def test_translation_table(event_type: str, resource: dict[str, Any], expected: tuple[Any, ...]) -> None:
    event = translate(webhook_event(event_type, resource, event_id="WH-1"))

    got = (event.action, event.payment_id, event.provider_reference, event.amount, event.needs_confirmation)
    assert got == expected
    assert (event.provider, event.event_id, event.event_type, event.currency) == ("paypal", "WH-1", event_type, "USD")


def test_a_hold_lasts_paypals_honor_period_from_the_authorization() -> None:
    held = translate(webhook_event("PAYMENT.AUTHORIZATION.CREATED", authorization()))
    assert held.hold_until == datetime(2025, 3, 4, 10, 0, tzinfo=UTC)  # 3 days, not the 29 of expiration_time

    body = json.loads(webhook_event("PAYMENT.AUTHORIZATION.CREATED", authorization(create_time=None)))
    sent = datetime.fromisoformat(body["create_time"])
    assert translate(json.dumps(body).encode()).hold_until == sent + timedelta(days=3)  # else from the event's time


def test_a_void_or_lapse_explains_itself() -> None:
    lapsed = translate(webhook_event("PAYMENT.AUTHORIZATION.VOIDED", authorization("EXPIRED")))
    assert lapsed.reason == f"PayPal authorization {AUTHORIZATION_ID} expired"
    assert lapsed.hold_until is None


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(authorization(amount={"currency_code": "USD", "value": "70.001"}), id="inexact-amount"),
        pytest.param(authorization(amount={"currency_code": "USD", "value": 70}), id="number-amount"),
        pytest.param({"status": "CREATED"}, id="no-id"),
    ],
)
def test_unreadable_authorizations_are_malformed(resource: dict[str, Any]) -> None:
    with pytest.raises(MalformedWebhook):
        translate(webhook_event("PAYMENT.AUTHORIZATION.CREATED", resource))
