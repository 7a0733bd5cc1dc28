"""Flutterwave webhook bodies → ProviderEvent, as a table: v3 and v4 shapes, decimal major units → exact minor
units (never through float), dedupe keys, what needs confirmation, and what is refused as malformed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from application.data.provider_news import EventAction
from application.errors import MalformedWebhook
from infrastructure.providers.flutterwave.events import parse

A = EventAction


def v3_charge(amount: str = "100.5", currency: str = "NGN", status: str = "successful", **data: str) -> bytes:
    fields = {
        "id": "4975363",
        "tx_ref": '"pay_01TEST"',
        "flw_ref": '"FLW-MOCK-1"',
        "amount": amount,
        "currency": f'"{currency}"',
        "status": f'"{status}"',
        "processor_response": '"Approved"',
        "created_at": '"2025-01-02T03:04:05.000Z"',
        **data,
    }
    inner = ",".join(f'"{k}":{v}' for k, v in fields.items())
    return f'{{"event":"charge.completed","data":{{{inner}}},"event.type":"CARD_TRANSACTION"}}'.encode()


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("100.5", "NGN", 10050),
        ("100.50", "NGN", 10050),
        ("100", "NGN", 10000),
        ('"2500.75"', "KES", 250075),  # some payloads quote numbers
        ("1000", "UGX", 1000),  # UGX has exponent 0 in ISO 4217
        ("5000", "XOF", 5000),
        ("4.35", "USD", 435),  # 4.35 * 100 is 434.99999999999994 in float
        ("1.15", "GBP", 115),  # and 1.15 * 100 is 114.99999999999999
        ("0.01", "EUR", 1),
        ("123456789.99", "NGN", 12345678999),
    ],
)
def test_decimal_major_units_become_exact_minor_units(amount: str, currency: str, minor: int) -> None:
    event = parse(v3_charge(amount, currency))
    assert (event.amount, event.currency) == (minor, currency)
    assert isinstance(event.amount, int)


@pytest.mark.parametrize(
    ("status", "action", "confirm"),
    [
        ("successful", A.PAYMENT_SUCCEEDED, True),
        ("SUCCESSFUL", A.PAYMENT_SUCCEEDED, True),
        ("failed", A.PAYMENT_FAILED, True),
        ("pending", A.NONE, False),
        ("cancelled", A.NONE, False),
    ],
)
def test_v3_charge_completed(status: str, action: EventAction, confirm: bool) -> None:
    event = parse(v3_charge(status=status))
    assert (event.action, event.needs_confirmation) == (action, confirm)
    assert event.provider == "flutterwave"
    assert event.event_type == "charge.completed"
    # v3 gives no id: data.id + status, and a digest of what the event claims (see the next test)
    assert event.event_id.startswith(f"charge.completed:4975363:{status.lower()}:")
    assert event.payment_id == "pay_01TEST"  # data.tx_ref is our payment id
    assert event.provider_reference == "4975363"  # the transaction `confirm` verifies
    assert event.occurred_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_v3_failed_charge_carries_the_processor_response() -> None:
    event = parse(v3_charge(status="failed", processor_response='"Insufficient funds"'))
    assert event.reason == "Flutterwave: Insufficient funds"


def test_dedupe_key_same_delivery_same_key() -> None:
    assert parse(v3_charge()).event_id == parse(v3_charge()).event_id
    assert parse(v3_charge()).event_id == parse(v3_charge(amount="100.50", app_fee="1.4")).event_id
    assert parse(v3_charge()).event_id != parse(v3_charge(status="failed")).event_id


@pytest.mark.parametrize("claim", [{"tx_ref": '"pay_OTHER"'}, {"amount": "1.5"}, {"currency": "GHS"}])
def test_dedupe_key_a_forged_claim_cannot_take_the_real_deliverys_key(claim: dict[str, str]) -> None:
    # Otherwise a forgery under a real transaction's id, refused by `confirm`, would make the genuine
    # delivery that follows a "duplicate".
    assert parse(v3_charge(**claim)).event_id != parse(v3_charge()).event_id


def test_implausibly_long_ids_are_refused_before_they_reach_the_inbox() -> None:
    with pytest.raises(MalformedWebhook, match="implausibly long"):
        parse(v3_charge(tx_ref='"' + "p" * 65 + '"'))
    with pytest.raises(MalformedWebhook, match="implausibly long"):
        parse(v3_charge(id="1" * 240))
    with pytest.raises(MalformedWebhook, match="implausibly long"):
        parse(b'{"event":"' + b"e" * 65 + b'","data":{}}')


@pytest.mark.parametrize(("status", "action"), [("completed", A.REFUND_SUCCEEDED), ("failed", A.REFUND_FAILED)])
def test_v3_refund_completed_is_confirmed_through_the_api(status: str, action: EventAction) -> None:
    body = (
        '{"event":"refund.completed","data":{"id":75923,"AmountRefunded":25.5,"status":"' + status + '",'
        '"FlwRef":"URF_1","comments":"re_01TEST","TransactionId":4975363}}'
    ).encode()
    event = parse(body)
    assert (event.action, event.needs_confirmation) == (action, True)
    assert event.event_id == f"refund.completed:75923:{status}"
    assert (event.refund_id, event.provider_reference) == ("75923", "4975363")
    assert event.payment_id is None  # no tx_ref in refund events: `confirm` finds it through the transaction


def test_v3_refund_still_pending_is_stored_without_action() -> None:
    event = parse(b'{"event":"refund.completed","data":{"id":75923,"status":"pending"}}')
    assert (event.action, event.needs_confirmation) == (A.NONE, False)


def test_unknown_v3_events_are_stored_not_acted_on_and_deduped_by_their_bytes() -> None:
    body = b'{"event":"transfer.completed","data":{"id":1,"status":"SUCCESSFUL"}}'
    event = parse(body)
    assert (event.action, event.event_type, event.needs_confirmation) == (A.NONE, "transfer.completed", False)
    assert event.event_id == parse(body).event_id
    assert event.event_id != parse(body.replace(b'"id":1', b'"id":2')).event_id


def v4(type_: str = "charge.completed", status: str = "succeeded", event_id: Any = '"wbk_abc123"') -> bytes:
    data = (
        f'{{"id":"chg_9x","amount":100.5,"currency":"NGN","status":"{status}","reference":"pay_01TEST",'
        '"created_datetime":"2025-01-02T03:04:05.000Z"}'
    )
    return f'{{"id":{event_id},"type":"{type_}","timestamp":1735787045000,"data":{data}}}'.encode()


@pytest.mark.parametrize(
    ("status", "action", "confirm"),
    [("succeeded", A.PAYMENT_SUCCEEDED, True), ("failed", A.PAYMENT_FAILED, True), ("pending", A.NONE, False)],
)
def test_v4_charge_completed(status: str, action: EventAction, confirm: bool) -> None:
    event = parse(v4(status=status))
    assert (event.action, event.needs_confirmation) == (action, confirm)
    assert event.event_id == "wbk_abc123"  # v4 has a real event id
    assert event.payment_id == "pay_01TEST"  # data.reference
    assert event.provider_reference == "chg_9x"
    assert (event.amount, event.currency) == (None, "NGN")  # v4 units unconfirmed: the API's numbers decide


def test_unknown_v4_event_is_kept_by_its_id() -> None:
    event = parse(v4(type_="transfer.disburse"))
    assert (event.action, event.event_id, event.event_type) == (A.NONE, "wbk_abc123", "transfer.disburse")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "unreadable"),
        (b"[]", "unreadable"),
        (b'{"data":{}}', "neither"),
        (b'{"event":"charge.completed"}', "without data"),
        (v3_charge(tx_ref="null"), "unreadable data"),
        (v3_charge(amount="null"), "unreadable data"),
        (v3_charge(id='"../../v3/refunds"'), "numeric"),
        (v3_charge(id="-5"), "numeric"),
        (v3_charge(currency="ZZZ"), "ISO 4217"),
        (v3_charge(amount="100.505"), "whole number of minor units"),
        (v3_charge(amount="1000.5", currency="UGX"), "whole number of minor units"),
        (v3_charge(amount='"ten"'), "unreadable data"),
        (b'{"event":"refund.completed","data":{"id":"R1","status":"completed"}}', "numeric"),
        (v4(event_id="null"), "top-level id"),
        (v4(event_id='""'), "top-level id"),
    ],
)
def test_malformed_bodies_are_refused(body: bytes, why: str) -> None:
    with pytest.raises(MalformedWebhook, match=why):
        parse(body)
