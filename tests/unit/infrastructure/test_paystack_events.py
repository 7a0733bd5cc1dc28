"""Paystack webhooks → ProviderEvents: the translation table, amounts as Paystack sends them, dedupe keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import MalformedWebhook
from infrastructure.providers.paystack.events import translate
from infrastructure.providers.paystack.references import payment_id_of, transaction_reference

PAY = "pay_01JABCDEFGHJKMNPQRSTVWXYZ0"
REF = "pay-01JABCDEFGHJKMNPQRSTVWXYZ0"


def _body(event: str, **data: Any) -> bytes:
    return json.dumps({"event": event, "data": data}).encode()


def _charge(**overrides: Any) -> bytes:
    data = {
        "id": 302961,
        "domain": "test",
        "status": "success",
        "reference": REF,
        "amount": 10000,
        "currency": "NGN",
        "paid_at": "2025-01-02T03:05:00.000Z",
        "metadata": {"payment_id": PAY, "order_id": "order-1"},
        "customer": {"email": "ada@example.com"},
    }
    return _body("charge.success", **{**data, **overrides})


def _refund(event: str = "refund.processed", **overrides: Any) -> bytes:
    data = {
        "id": 1234,
        "status": event.removeprefix("refund."),
        "transaction_reference": REF,
        "refund_reference": "132013318360",
        "amount": "2500",
        "currency": "NGN",
        "processor": "mpgs_zen",
        "integration": 412829,
    }
    return _body(event, **{**data, **overrides})


def _translated(body: bytes) -> ProviderEvent:
    event = translate(body)
    assert event.provider == "paystack"
    return event


# ---- the translation table ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "event_type", "action", "refund_id", "amount"),
    [
        (_charge(), "charge.success", EventAction.PAYMENT_SUCCEEDED, None, 10000),
        (_refund("refund.processed"), "refund.processed", EventAction.REFUND_SUCCEEDED, "1234", 2500),
        (_refund("refund.processed", amount=2500), "refund.processed", EventAction.REFUND_SUCCEEDED, "1234", 2500),
        (_refund("refund.failed", amount=2500), "refund.failed", EventAction.REFUND_FAILED, "1234", 2500),
        (_refund("refund.failed", amount="2500"), "refund.failed", EventAction.REFUND_FAILED, "1234", 2500),
        (_refund("refund.pending", refund_reference=None), "refund.pending", EventAction.NONE, "1234", 2500),
        (_refund("refund.processing"), "refund.processing", EventAction.NONE, None, None),
        (
            _body("transfer.success", id=77, reference="TRF_1", amount=500),
            "transfer.success",
            EventAction.NONE,
            None,
            None,
        ),
        (_body("subscription.create", id=9), "subscription.create", EventAction.NONE, None, None),
    ],
)
def test_translation_table(
    body: bytes, event_type: str, action: EventAction, refund_id: str | None, amount: int | None
) -> None:
    event = _translated(body)
    assert (event.event_type, event.action, event.refund_id, event.amount) == (event_type, action, refund_id, amount)
    if action is not EventAction.NONE:
        assert (event.payment_id, event.currency) == (PAY, "NGN")


def test_charge_success_must_be_verified_before_it_counts() -> None:
    event = _translated(_charge())
    assert event.needs_confirmation
    assert (event.payment_id, event.provider_reference) == (PAY, REF)
    assert event.occurred_at == datetime(2025, 1, 2, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "payment_id"),
    [
        ({"reference": f"{REF}.2"}, PAY),  # a retried checkout's reference still names the payment
        ({"reference": "T2154954_412829", "metadata": {"payment_id": PAY}}, PAY),  # not our reference: metadata
        ({"reference": "T2154954_412829", "metadata": json.dumps({"payment_id": PAY})}, PAY),  # metadata as text
        ({"reference": "T2154954_412829", "metadata": ""}, None),  # Paystack's "no metadata"
        ({"reference": "T2154954_412829", "metadata": {"payment_id": 7}}, None),
    ],
)
def test_charge_success_links_by_reference_then_metadata(overrides: dict[str, Any], payment_id: str | None) -> None:
    event = _translated(_charge(**overrides))
    assert event.payment_id == payment_id
    assert event.needs_confirmation is (payment_id is not None)  # nothing of ours to verify: just stored
    assert event.action is (EventAction.PAYMENT_SUCCEEDED if payment_id else EventAction.NONE)


def test_a_dispute_names_the_payment_through_its_transaction() -> None:
    body = _body(
        "charge.dispute.create",
        id=358950,
        status="awaiting-merchant-feedback",
        currency="NGN",
        refund_amount=1000,
        transaction={"id": 302961, "reference": REF, "amount": 10000, "metadata": ""},
    )
    event = _translated(body)
    assert (event.action, event.payment_id, event.provider_reference) == (EventAction.PAYMENT_DISPUTED, PAY, REF)
    assert event.amount is None  # a dispute's amount is not the payment's
    assert event.event_id == "charge.dispute.create:358950:awaiting-merchant-feedback"
    assert not event.needs_confirmation


def test_a_refund_event_without_an_id_is_matched_by_amount_and_keyed_by_its_reference() -> None:
    event = _translated(_refund(id=None))
    # the processor's reference is nobody's refund id: our refund is found by payment and amount (refund_matching)
    assert (event.refund_id, event.payment_id, event.amount, event.currency) == (None, PAY, 2500, "NGN")
    assert event.refund_by_amount
    assert event.event_id == "refund.processed:132013318360:processed"


@pytest.mark.parametrize("event_type", ["refund.processed", "refund.failed", "refund.pending"])
def test_every_refund_event_may_be_matched_by_amount(event_type: str) -> None:
    event = _translated(_refund(event_type))
    assert event.refund_by_amount
    # a final one is confirmed: Paystack's refund list says which of our refunds are in that state
    assert event.needs_confirmation is (event_type != "refund.pending")
    assert not _translated(_charge()).refund_by_amount


# ---- amounts: integers or strings of digits, nothing else ----------------------------------------------
@pytest.mark.parametrize("amount", [2500, "2500", "0002500"])
def test_refund_amounts_as_integer_or_string(amount: int | str) -> None:
    assert _translated(_refund(amount=amount)).amount == 2500


@pytest.mark.parametrize(
    "amount", ["25.00", "-2500", "", " 2500", "2,500", "1e3", "٢٥٠٠", 25.5, -1, True, None, [2500]]
)
def test_other_refund_amounts_are_refused(amount: Any) -> None:
    with pytest.raises(MalformedWebhook):
        translate(_refund(amount=amount))


@pytest.mark.parametrize("amount", [100.0, "ten", None, False])
def test_charge_amounts_are_checked_too(amount: Any) -> None:
    with pytest.raises(MalformedWebhook):
        translate(_charge(amount=amount))


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"data": {}}', b'{"event": "charge.success"}', b'{"event": 1, "data": {}}'],
)
def test_unreadable_bodies_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        translate(body)


# ---- dedupe keys ----------------------------------------------------------------------------------------
def test_dedupe_key_is_event_object_and_status() -> None:
    assert _translated(_charge()).event_id == "charge.success:302961:success"
    assert _translated(_refund()).event_id == "refund.processed:1234:processed"
    assert _translated(_refund("refund.failed")).event_id == "refund.failed:1234:failed"


def test_a_redelivery_has_the_same_key_even_if_other_fields_differ() -> None:
    first = _translated(_charge())
    again = _translated(_charge(paid_at="2025-01-02T03:06:00.000Z", customer={"email": "other@example.com"}))
    assert first.event_id == again.event_id


def test_a_refund_without_id_or_reference_is_named_by_transaction_and_amount() -> None:
    event = _translated(_refund("refund.pending", id=None, refund_reference=None))
    assert event.event_id == f"refund.pending:{REF}/2500:pending"


def test_a_body_naming_nothing_is_keyed_by_its_hash() -> None:
    body = _body("customeridentification.success", customer_code="CUS_1")
    event = _translated(body)
    assert event.event_id.startswith("customeridentification.success:sha256=")
    assert event.event_id == _translated(body).event_id


def test_over_long_keys_are_hashed_to_fit_the_inbox() -> None:
    event = _translated(_charge(id="x" * 400))
    assert len(event.event_id) <= 200
    assert event.event_id.startswith("charge.success:sha256=")


# ---- references ------------------------------------------------------------------------------------------
def test_references_carry_our_payment_id_in_paystacks_alphabet() -> None:
    assert transaction_reference(PAY) == REF
    assert transaction_reference(PAY, 3) == f"{REF}.3"
    assert payment_id_of(REF) == payment_id_of(f"{REF}.3") == PAY
    assert payment_id_of("T2154954_412829_3be32076_6lcg3") is None
    assert payment_id_of(None) is None
    with pytest.raises(ValueError, match="cannot be carried"):
        transaction_reference("pay_with_underscores")


def test_a_charge_that_cannot_be_verified_is_never_acted_on() -> None:
    no_reference = _translated(_charge(reference=None))  # linked by metadata, but nothing to verify
    assert (no_reference.action, no_reference.needs_confirmation, no_reference.payment_id) == (
        EventAction.NONE,
        False,
        PAY,
    )
    not_ours = _translated(_charge(reference="T2154954_412829", metadata=""))
    assert (not_ours.action, not_ours.needs_confirmation, not_ours.payment_id) == (EventAction.NONE, False, None)
