"""PayPal webhook events → ProviderEvent, as one table; amounts both ways (decimal strings, never floats)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from application.data.provider_news import EventAction
from application.errors import MalformedWebhook, ProviderError
from domain.shared.money import Money
from infrastructure.providers.paypal.amounts import to_paypal
from infrastructure.providers.paypal.events import translate
from tests.provider_fakes.paypal import webhook_event

A = EventAction
UP = {"href": "https://api.paypal.com/v2/payments/captures/3C679366HH908993F", "rel": "up", "method": "GET"}


def order(custom_id: str | None = "pay_01ORDER", value: str = "10.00", currency: str = "USD") -> dict[str, Any]:
    unit: dict[str, Any] = {"reference_id": "order-1", "amount": {"currency_code": currency, "value": value}}
    if custom_id is not None:
        unit["custom_id"] = custom_id
    return {"id": "5O190127TN364715T", "status": "APPROVED", "purchase_units": [unit]}


def capture(status: str = "COMPLETED", **extra: Any) -> dict[str, Any]:
    return {
        "id": "3C679366HH908993F",
        "status": status,
        "amount": {"currency_code": "USD", "value": "10.00"},
        "custom_id": "pay_01ORDER",
        "supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
        **extra,
    }


def refund(**fields: Any) -> dict[str, Any]:
    base = {"id": "1JU08902781691411", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "2.50"}}
    return {**base, "links": [UP], **fields}


def dispute(**transaction: Any) -> dict[str, Any]:
    return {
        "dispute_id": "PP-D-27803",
        "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
        "status": "OPEN",
        "dispute_amount": {"currency_code": "USD", "value": "10.00"},
        "disputed_transactions": [{"seller_transaction_id": "3C679366HH908993F", **transaction}],
    }


# (event_type, resource) → (action, payment_id, provider_reference, refund_id, amount, currency, needs_confirmation)
CASES = [
    pytest.param("CHECKOUT.ORDER.APPROVED", order(),
                 (A.PAYMENT_SUCCEEDED, "pay_01ORDER", "5O190127TN364715T", None, 1000, "USD", True), id="approved-capture-first"),
    pytest.param("CHECKOUT.ORDER.APPROVED", order(custom_id="ORDER-FROM-ANOTHER-SHOP"),
                 (A.NONE, None, "5O190127TN364715T", None, None, None, False), id="approved-not-ours-never-captured"),
    pytest.param("CHECKOUT.ORDER.APPROVED", order(custom_id=None),
                 (A.NONE, None, "5O190127TN364715T", None, None, None, False), id="approved-without-custom-id"),
    pytest.param("CHECKOUT.ORDER.APPROVED", order(value="1999", currency="JPY"),
                 (A.PAYMENT_SUCCEEDED, "pay_01ORDER", "5O190127TN364715T", None, 1999, "JPY", True), id="approved-jpy"),
    pytest.param("PAYMENT.CAPTURE.COMPLETED", capture(),
                 (A.PAYMENT_SUCCEEDED, "pay_01ORDER", "5O190127TN364715T", None, 1000, "USD", False), id="capture-completed"),
    pytest.param("PAYMENT.CAPTURE.COMPLETED", capture(supplementary_data=None),
                 (A.PAYMENT_SUCCEEDED, "pay_01ORDER", "3C679366HH908993F", None, 1000, "USD", False), id="completed-no-order-id"),
    pytest.param("PAYMENT.CAPTURE.DENIED", capture("DECLINED"),
                 (A.PAYMENT_FAILED, "pay_01ORDER", "5O190127TN364715T", None, 1000, "USD", False), id="capture-denied"),
    pytest.param("PAYMENT.CAPTURE.REFUNDED", refund(custom_id="re_01REFUND", invoice_id="pay_01ORDER"),
                 (A.REFUND_SUCCEEDED, "pay_01ORDER", "3C679366HH908993F", "re_01REFUND", 250, "USD", False), id="refunded-ours"),
    pytest.param("PAYMENT.CAPTURE.REFUNDED", refund(invoice_id="pay_01ORDER"),
                 (A.REFUND_SUCCEEDED, "pay_01ORDER", "3C679366HH908993F", "1JU08902781691411", 250, "USD", False),
                 id="refunded-by-paypal-reference"),
    pytest.param("PAYMENT.CAPTURE.REFUNDED", refund(custom_id="pay_01ORDER", invoice_id="pay_01ORDER"),
                 (A.REFUND_SUCCEEDED, "pay_01ORDER", "3C679366HH908993F", "1JU08902781691411", 250, "USD", False),
                 id="refunded-custom-id-inherited-from-capture"),
    pytest.param("PAYMENT.CAPTURE.REFUNDED", refund(),
                 (A.REFUND_SUCCEEDED, None, "3C679366HH908993F", "1JU08902781691411", 250, "USD", True),
                 id="refunded-names-only-the-capture"),
    pytest.param("PAYMENT.CAPTURE.REFUNDED", refund(status="FAILED", custom_id="re_01REFUND", invoice_id="pay_01ORDER"),
                 (A.REFUND_FAILED, "pay_01ORDER", "3C679366HH908993F", "re_01REFUND", 250, "USD", False), id="refund-failed"),
    pytest.param("PAYMENT.CAPTURE.REFUNDED", refund(status="PENDING", custom_id="re_01REFUND"),
                 (A.NONE, None, None, None, None, None, False), id="refund-still-pending"),
    pytest.param("CUSTOMER.DISPUTE.CREATED", dispute(custom="pay_01ORDER"),
                 (A.PAYMENT_DISPUTED, "pay_01ORDER", "3C679366HH908993F", None, None, None, False), id="dispute"),
    pytest.param("CUSTOMER.DISPUTE.CREATED", dispute(invoice_number="pay_01ORDER"),
                 (A.PAYMENT_DISPUTED, "pay_01ORDER", "3C679366HH908993F", None, None, None, False), id="dispute-by-invoice"),
    pytest.param("CUSTOMER.DISPUTE.CREATED", dispute(),
                 (A.PAYMENT_DISPUTED, None, "3C679366HH908993F", None, None, None, True), id="dispute-names-only-the-capture"),
    pytest.param("PAYMENT.CAPTURE.PENDING", capture("PENDING"),
                 (A.NONE, None, None, None, None, None, False), id="unknown-to-us-capture-pending"),
    pytest.param("BILLING.SUBSCRIPTION.CREATED", {"id": "I-BW452GLLEP1G"},
                 (A.NONE, None, None, None, None, None, False), id="unknown-event-type"),
]  # fmt: skip


@pytest.mark.parametrize(("event_type", "resource", "expected"), CASES)
def test_translation_table(event_type: str, resource: dict[str, Any], expected: tuple[Any, ...]) -> None:
    event = translate(webhook_event(event_type, resource, event_id="WH-1"))

    got = (event.action, event.payment_id, event.provider_reference, event.refund_id, event.amount, event.currency)
    assert (*got, event.needs_confirmation) == expected
    assert (event.provider, event.event_id, event.event_type) == ("paypal", "WH-1", event_type)


def test_failures_and_disputes_explain_themselves() -> None:
    denied = capture("DECLINED", status_details={"reason": "RISK_DECLINED"})
    assert translate(webhook_event("PAYMENT.CAPTURE.DENIED", denied)).reason == (
        "PayPal capture 3C679366HH908993F declined: RISK_DECLINED"
    )
    disputed = translate(webhook_event("CUSTOMER.DISPUTE.CREATED", dispute(custom="pay_01ORDER")))
    assert disputed.reason == "PayPal dispute PP-D-27803: MERCHANDISE_OR_SERVICE_NOT_RECEIVED"


def test_the_event_time_is_read() -> None:
    body = json.dumps({"id": "WH-1", "event_type": "X", "create_time": "2025-01-15T12:00:01.123Z"}).encode()
    assert translate(body).occurred_at == datetime(2025, 1, 15, 12, 0, 1, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(b'{"event_type": "CHECKOUT.ORDER.APPROVED"}', id="no-id"),
        pytest.param(b'{"id": "", "event_type": "X"}', id="empty-id"),
        pytest.param(b'{"id": "WH-1"}', id="no-event-type"),
        pytest.param(webhook_event("PAYMENT.CAPTURE.COMPLETED", capture(amount={"currency_code": "USD", "value": "10.005"})),
                     id="inexact-amount"),
        pytest.param(webhook_event("PAYMENT.CAPTURE.COMPLETED", capture(amount={"currency_code": "USD", "value": 10.5})),
                     id="float-amount"),
        pytest.param(webhook_event("PAYMENT.CAPTURE.COMPLETED", capture(amount={"currency_code": "XXQ", "value": "1.00"})),
                     id="unknown-currency"),
        pytest.param(webhook_event("PAYMENT.CAPTURE.REFUNDED", refund(amount={"currency_code": "JPY", "value": "1.5"})),
                     id="fractional-yen"),
        pytest.param(webhook_event("PAYMENT.CAPTURE.COMPLETED", []), id="resource-not-an-object"),  # type: ignore[arg-type]
    ],
)  # fmt: skip
def test_unreadable_events_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        translate(body)


@pytest.mark.parametrize(
    ("amount", "currency", "value"),
    [(1999, "USD", "19.99"), (5, "EUR", "0.05"), (1999, "JPY", "1999"), (150_000, "HUF", "1500"), (120_000, "TWD", "1200")],
)  # fmt: skip
def test_amounts_are_sent_as_paypal_wants_them(amount: int, currency: str, value: str) -> None:
    assert to_paypal(Money.of(amount, currency)) == {"currency_code": currency, "value": value}


@pytest.mark.parametrize(("amount", "currency"), [(150_050, "HUF"), (99, "TWD")])
def test_fractional_huf_and_twd_are_refused_not_rounded(amount: int, currency: str) -> None:
    with pytest.raises(ProviderError, match="whole units"):
        to_paypal(Money.of(amount, currency))


def test_whole_unit_currencies_read_back_to_minor_units() -> None:
    huf = order(value="1500", currency="HUF")
    assert translate(webhook_event("CHECKOUT.ORDER.APPROVED", huf)).amount == 150_000
