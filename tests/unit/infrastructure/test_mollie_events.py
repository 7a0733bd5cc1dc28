"""A fetched Mollie payment and its refunds → ProviderEvents: the translation table, ids, amounts, dedupe keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from application.data.provider_news import EventAction
from infrastructure.providers.mollie import wire
from infrastructure.providers.mollie.events import payment_event, refund_event, translate

PAY = "pay_01JABCDEFGHJKMNPQRSTVWXYZ0"
TR = "tr_WDqYK6vllg"


def _payment(status: str = "paid", **overrides: Any) -> wire.Payment:
    data = {
        "resource": "payment",
        "id": TR,
        "mode": "test",
        "status": status,
        "amount": {"currency": "EUR", "value": "10.00"},
        "metadata": {"payment_id": PAY, "order_id": "order-1"},
        "createdAt": "2025-01-02T03:04:05+00:00",
        "paidAt": "2025-01-02T03:05:00+00:00" if status == "paid" else None,
        "_links": {"self": {"href": f"https://api.mollie.com/v2/payments/{TR}", "type": "application/hal+json"}},
    }
    return msgspec.convert({**data, **overrides}, wire.Payment)


def _refund(status: str, refund_id: str = "re_4qqhO89gsT", **overrides: Any) -> wire.Refund:
    data = {
        "resource": "refund",
        "id": refund_id,
        "status": status,
        "amount": {"currency": "EUR", "value": "2.50"},
        "paymentId": TR,
        "metadata": {"refund_id": "re_01JOURREFUND0000000000000", "payment_id": PAY},
    }
    return msgspec.convert({**data, **overrides}, wire.Refund)


@pytest.mark.parametrize(
    ("status", "action", "reason"),
    [
        ("paid", EventAction.PAYMENT_SUCCEEDED, None),
        ("failed", EventAction.PAYMENT_FAILED, "Mollie reports the payment failed"),
        ("expired", EventAction.PAYMENT_EXPIRED, "Mollie reports the payment expired"),
        ("canceled", EventAction.PAYMENT_FAILED, "canceled by the customer"),
        ("open", None, None),
        ("pending", None, None),
        ("authorized", None, None),
        ("something-new", None, None),
    ],
)
def test_payment_statuses(status: str, action: EventAction | None, reason: str | None) -> None:
    event = payment_event(_payment(status))
    if action is None:
        assert event is None
        return
    assert event is not None
    assert (event.provider, event.event_id, event.event_type, event.action) == (
        "mollie",
        f"{TR}:{status}",
        f"payment.{status}",
        action,
    )
    assert (event.payment_id, event.provider_reference, event.amount, event.currency) == (PAY, TR, 1000, "EUR")
    assert (event.reason, event.refund_id, event.needs_confirmation) == (reason, None, False)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("refunded", EventAction.REFUND_SUCCEEDED),
        ("failed", EventAction.REFUND_FAILED),
        ("canceled", EventAction.REFUND_FAILED),
        ("queued", None),
        ("pending", None),
        ("processing", None),
    ],
)
def test_refund_statuses(status: str, action: EventAction | None) -> None:
    event = refund_event(_refund(status), _payment())
    if action is None:
        assert event is None
        return
    assert event is not None
    assert (event.event_id, event.event_type, event.action) == (f"re_4qqhO89gsT:{status}", f"refund.{status}", action)
    assert (event.payment_id, event.provider_reference, event.refund_id) == (PAY, TR, "re_01JOURREFUND0000000000000")
    assert (event.amount, event.currency) == (250, "EUR")


def test_a_refund_without_our_metadata_is_named_by_mollies_id() -> None:
    for metadata in (None, {}, {"refund_id": ""}, "re_01JOURREFUND0000000000000"):
        event = refund_event(_refund("refunded", metadata=metadata), _payment())
        assert event is not None
        assert event.refund_id == "re_4qqhO89gsT"


@pytest.mark.parametrize(
    ("amount", "minor"),
    [({"currency": "EUR", "value": "0.05"}, 5), ({"currency": "JPY", "value": "1999"}, 1999), ({"currency": "ISK", "value": "150000"}, 150_000)],
)  # fmt: skip
def test_amounts_in_minor_units(amount: dict[str, str], minor: int) -> None:
    event = payment_event(_payment(amount=amount))
    assert event is not None
    assert (event.amount, event.currency) == (minor, amount["currency"])


@pytest.mark.parametrize(
    "amount",
    [{"currency": "EUR", "value": "10.005"}, {"currency": "JPY", "value": "10.5"}, {"currency": "XYZ", "value": "1.00"}, {"currency": "EUR", "value": "ten"}],
)  # fmt: skip
def test_an_amount_that_is_not_exact_is_never_acted_on(amount: dict[str, str]) -> None:
    event = payment_event(_payment(amount=amount))
    assert event is not None
    assert (event.action, event.amount) == (EventAction.NONE, None)
    assert event.reason is not None
    assert "unreadable amount" in event.reason


def test_amounts_are_never_read_from_json_numbers() -> None:
    body = b'{"id": "tr_x", "status": "paid", "amount": {"currency": "EUR", "value": 10.0}}'
    with pytest.raises(msgspec.ValidationError, match=r"amount\.value"):
        msgspec.json.decode(body, type=wire.Payment)


def test_a_refund_of_another_payment_is_never_acted_on() -> None:
    event = refund_event(_refund("refunded", paymentId="tr_other"), _payment())
    assert event is not None
    assert event.action is EventAction.NONE


def test_a_payment_without_our_metadata_names_no_payment_of_ours() -> None:
    for metadata in (None, "pay_01JABCDEFGHJKMNPQRSTVWXYZ0", {"order_id": "order-1"}):
        event = payment_event(_payment(metadata=metadata))
        assert event is not None
        assert event.payment_id is None


def test_translate_lists_the_payment_first_then_each_final_refund() -> None:
    refunds = [_refund("refunded", "re_a"), _refund("pending", "re_b"), _refund("failed", "re_c")]
    events = translate(_payment(), refunds)
    assert [e.event_id for e in events] == [f"{TR}:paid", "re_a:refunded", "re_c:failed"]
    assert translate(_payment("open"), []) == []


def test_the_same_news_fetched_twice_has_the_same_keys_and_new_news_a_new_one() -> None:
    first, again = translate(_payment(), [_refund("pending")]), translate(_payment(), [_refund("pending")])
    assert [e.event_id for e in first] == [e.event_id for e in again]
    later = translate(_payment(), [_refund("refunded")])
    assert [e.event_id for e in later] == [f"{TR}:paid", "re_4qqhO89gsT:refunded"]


def test_occurred_at_is_mollies_moment_of_the_change() -> None:
    event = payment_event(_payment("failed", failedAt="2025-01-02T03:06:07+00:00"))
    assert event is not None
    assert event.occurred_at == datetime(2025, 1, 2, 3, 6, 7, tzinfo=UTC)
    odd = payment_event(_payment("expired", expiredAt="yesterday"))
    assert odd is not None
    assert odd.occurred_at is None
