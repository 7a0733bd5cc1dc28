"""Authorize now, capture later with PayPal, against the fake over real HTTP: a manual payment's order is created
with intent AUTHORIZE, authorized (not captured) on approval, once, and the janitor's lookups read the hold's
state (still held, captured, voided, lapsed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.errors import ProviderUnavailable
from domain.payments.payment import CaptureMode
from infrastructure.providers.paypal.adapter import PayPalPaymentProvider
from tests.integration.providers.paypal.support import A, authorized, checked_out, deliver, new_payment, send
from tests.provider_fakes.paypal import FakePayPal


def test_paypal_can_hold_funds(paypal: PayPalPaymentProvider) -> None:
    assert paypal.supports_manual_capture is True


async def test_a_manual_checkout_creates_an_order_to_authorize(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    await paypal.create_checkout(new_payment(1000, capture=CaptureMode.MANUAL))
    await paypal.create_checkout(new_payment(1000))

    manual, automatic = (call.json()["intent"] for call in fake.calls("create_order"))
    assert (manual, automatic) == ("AUTHORIZE", "CAPTURE")


async def test_an_approved_manual_order_is_authorized_once_not_captured(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await checked_out(paypal, new_payment(1000, capture=CaptureMode.MANUAL))
    assert payment.provider_reference is not None
    body, headers = fake.webhook("CHECKOUT.ORDER.APPROVED", fake.approve(payment.provider_reference))

    held = await deliver(paypal, headers, body)
    again = await deliver(paypal, headers, body)  # redelivered: PayPal answers from its request-id memory

    authorization = fake.authorization_of(payment.provider_reference)
    created = datetime.fromisoformat(authorization["create_time"])
    for event in (held, again):
        assert (event.action, event.payment_id, event.provider_reference) == (
            A.PAYMENT_AUTHORIZED,
            payment.id,
            payment.provider_reference,
        )
        assert (event.amount, event.currency, event.needs_confirmation) == (1000, "USD", False)
        assert event.hold_until == created + timedelta(days=3)  # PayPal's honor period, not its 29 days
    assert [c.headers["paypal-request-id"] for c in fake.calls("authorize")] == [f"authorize-{payment.id}"] * 2
    assert (len(fake.authorizations), fake.calls("capture"), fake.captures) == (1, [], {})


async def test_an_order_authorized_before_our_request_id_is_remembered_is_read_back(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await authorized(paypal, fake)
    assert payment.provider_reference is not None
    fake.forget_request_ids()

    event = await send(paypal, fake, "CHECKOUT.ORDER.APPROVED", fake.order(payment.provider_reference))

    assert (event.action, event.amount) == (A.PAYMENT_AUTHORIZED, 1000)
    assert len(fake.authorizations) == 1
    assert len(fake.calls("get_order")) == 1  # 422 ORDER_ALREADY_AUTHORIZED → the order says what happened


async def test_a_pending_authorization_is_asked_again_later_and_a_denied_one_fails(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    pending = await checked_out(paypal, new_payment(capture=CaptureMode.MANUAL))
    assert pending.provider_reference is not None
    fake.authorization_status = "PENDING"
    with pytest.raises(ProviderUnavailable, match="PENDING_REVIEW"):
        await send(paypal, fake, "CHECKOUT.ORDER.APPROVED", fake.approve(pending.provider_reference))

    denied = await checked_out(paypal, new_payment(capture=CaptureMode.MANUAL))
    assert denied.provider_reference is not None
    fake.authorization_status = "DENIED"
    event = await send(paypal, fake, "CHECKOUT.ORDER.APPROVED", fake.approve(denied.provider_reference))
    assert (event.action, event.payment_id) == (A.PAYMENT_FAILED, denied.id)


async def test_lookups_of_a_hold(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await checked_out(paypal, new_payment(1000, capture=CaptureMode.MANUAL))
    assert payment.provider_reference is not None
    fake.approve(payment.provider_reference)
    assert await paypal.lookup_payment(payment) is None  # approved, not authorized yet: the webhook does that

    await send(paypal, fake, "CHECKOUT.ORDER.APPROVED", fake.order(payment.provider_reference))
    missed = await paypal.lookup_payment(payment)  # we never applied the authorization: the lookup tells it
    assert missed is not None
    assert (missed.action, missed.amount, missed.hold_until is not None) == (A.PAYMENT_AUTHORIZED, 1000, True)

    payment.authorize(datetime.now(UTC), missed.hold_until)
    assert await paypal.lookup_payment(payment) is None  # still held: nothing new

    authorization_id = fake.authorization_of(payment.provider_reference)["id"]
    fake.lapse(authorization_id)
    lapsed = await paypal.lookup_payment(payment)
    assert lapsed is not None
    assert (lapsed.action, lapsed.payment_id) == (A.PAYMENT_EXPIRED, payment.id)

    fake.authorizations[authorization_id]["status"] = "VOIDED"  # voided on PayPal's dashboard
    voided = await paypal.lookup_payment(payment)
    assert voided is not None
    assert voided.action is A.PAYMENT_CANCELLED
    assert lapsed.event_id != voided.event_id  # new news, new id
