"""Capturing and voiding a PayPal hold, against the fake over real HTTP: what is sent (the authorization found
through the order, `final_capture`, request ids), what PayPal's answers become (taken, pending, refused,
unknown), that a void is safe to repeat, and that the capture of a hold is refunded like any capture."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from application.data.provider_news import ProviderCapture
from application.errors import ProviderError, ProviderUnavailable
from domain.payments.payment import CaptureMode, Payment
from domain.shared.money import Money
from infrastructure.providers.paypal.adapter import PayPalPaymentProvider
from infrastructure.providers.paypal.certificates import PayPalCertificates
from tests.integration.providers.paypal.support import (
    A,
    authorized,
    build,
    checked_out,
    new_payment,
    new_refund,
    paypal_config,
)
from tests.provider_fakes.paypal import FakePayPal
from tests.unit.fakes import FakeClock


async def capture(paypal: PayPalPaymentProvider, payment: Payment, amount: int | None = None) -> ProviderCapture:
    """What the capture use case does: reserve in our books, then ask PayPal once."""
    return await paypal.capture(payment, payment.request_capture(amount, datetime.now(UTC)))


def held(fake: FakePayPal, payment: Payment) -> dict[str, object]:
    assert payment.provider_reference is not None
    return fake.authorizations[fake.authorization_of(payment.provider_reference)["id"]]


async def test_a_partial_capture_takes_part_and_releases_the_rest(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await authorized(paypal, fake, 1000)

    answer = await capture(paypal, payment, 600)

    sent = fake.calls("capture_authorization")[0]
    authorization = held(fake, payment)
    assert sent.path == f"/v2/payments/authorizations/{authorization['id']}/capture"
    assert sent.headers["paypal-request-id"] == f"capture-{payment.capture_key}"
    assert sent.json() == {"amount": {"currency_code": "USD", "value": "6.00"}, "final_capture": True}
    assert answer == ProviderCapture(True, next(iter(fake.captures)))
    assert authorization["status"] == "PARTIALLY_CAPTURED"

    again = await paypal.capture(payment, Money.of(600, "USD"))  # a repeat: PayPal answers from its request ids
    assert (again, len(fake.captures)) == (answer, 1)
    fake.forget_request_ids()
    with pytest.raises(ProviderError, match="AUTHORIZATION_ALREADY_CAPTURED"):  # final: the rest was released
        await paypal.capture(payment, Money.of(400, "USD"))


async def test_a_capture_paypal_reviews_first_is_pending_then_settled_by_lookup(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await authorized(paypal, fake, 1000)
    fake.capture_status = "PENDING"

    answer = await capture(paypal, payment)

    assert answer == ProviderCapture(False, next(iter(fake.captures)))
    assert await paypal.lookup_payment(payment) is None  # no final word yet
    fake.settle_capture(next(iter(fake.captures)))
    settled = await paypal.lookup_payment(payment)
    assert settled is not None
    assert (settled.action, settled.payment_id, settled.amount) == (A.PAYMENT_SUCCEEDED, payment.id, 1000)


@pytest.mark.parametrize(
    ("status", "payload", "expected", "text"),
    [
        (422, {"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": "AUTHORIZATION_EXPIRED", "description": "An expired authorization cannot be captured."}]},
         ProviderError, "AUTHORIZATION_EXPIRED"),
        (500, None, ProviderUnavailable, "answered 500"),
    ],
)  # fmt: skip
async def test_paypals_answers_to_a_capture_map_to_the_ports_errors(
    paypal: PayPalPaymentProvider,
    fake: FakePayPal,
    status: int,
    payload: dict[str, object] | None,
    expected: type,
    text: str,
) -> None:
    payment = await authorized(paypal, fake)
    fake.fail("capture_authorization", status, payload)
    with pytest.raises(expected, match=text):
        await capture(paypal, payment)


async def test_a_declined_capture_is_refused(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await authorized(paypal, fake)
    fake.capture_status = "DECLINED"
    with pytest.raises(ProviderError, match="declined"):
        await capture(paypal, payment)


async def test_a_capture_that_timed_out_is_never_resent_and_a_lookup_finds_it(
    fake: FakePayPal, fake_url: str, http: httpx.AsyncClient, clock: FakeClock, certificates: PayPalCertificates
) -> None:
    paypal = build(paypal_config(fake_url), http, clock, certificates=certificates)
    impatient = build(paypal_config(fake_url), http, clock, timeout=0.3, certificates=certificates)
    payment = await authorized(paypal, fake, 1000)
    fake.delay("capture_authorization", 1.0, once=True)

    with pytest.raises(ProviderUnavailable, match="timed out"):
        await capture(impatient, payment, 700)

    found = await paypal.lookup_payment(payment)
    assert found is not None
    assert (found.action, found.amount) == (A.PAYMENT_SUCCEEDED, 700)
    assert len(fake.calls("capture_authorization")) == 1


async def test_paypal_unreachable_before_the_capture_is_sent_is_a_refusal(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await authorized(paypal, fake)
    fake.fail("get_order", 503)
    with pytest.raises(ProviderError, match="nothing captured"):  # the hold stands: it may be captured again
        await capture(paypal, payment)
    assert fake.calls("capture_authorization") == []


async def test_a_void_releases_the_hold_once_and_is_safe_to_repeat(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await authorized(paypal, fake)

    await paypal.cancel(payment)
    await paypal.cancel(payment)

    voids = fake.calls("void")
    assert [(v.path, v.headers["paypal-request-id"]) for v in voids] == [
        (f"/v2/payments/authorizations/{held(fake, payment)['id']}/void", f"void-{payment.id}")
    ]
    assert held(fake, payment)["status"] == "VOIDED"
    with pytest.raises(ProviderError, match="AUTHORIZATION_VOIDED"):
        await capture(paypal, payment)


async def test_a_void_paypal_already_made_or_a_captured_hold(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await authorized(paypal, fake)
    already = {"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": "PREVIOUSLY_VOIDED"}]}
    fake.fail("void", 422, already)  # voided meanwhile, e.g. on PayPal's dashboard
    await paypal.cancel(payment)

    captured = await authorized(paypal, fake)
    await capture(paypal, captured)
    with pytest.raises(ProviderError, match="PREVIOUSLY_CAPTURED"):
        await paypal.cancel(captured)


async def test_cancelling_an_open_order_calls_nothing(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await checked_out(paypal, new_payment(capture=CaptureMode.MANUAL))
    calls = len(fake.requests)
    await paypal.cancel(payment)  # PayPal lets an unapproved order lapse by itself
    assert len(fake.requests) == calls


async def test_the_capture_of_a_hold_is_refunded_up_to_what_was_taken(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await authorized(paypal, fake, 1000)
    taken = await capture(paypal, payment, 600)
    payment.succeed(datetime.now(UTC), 600)

    answer = await paypal.refund(payment, new_refund(payment, 400))

    assert fake.calls("refund")[0].path == f"/v2/payments/captures/{taken.provider_reference}/refund"
    assert answer.provider_reference == next(iter(fake.refunds))
    beyond = new_refund(payment, 200)
    beyond.amount = Money.of(201, "USD")  # beyond what was captured: our books refuse it, and so does PayPal
    with pytest.raises(ProviderError, match="REFUND_AMOUNT_EXCEEDED"):
        await paypal.refund(payment, beyond)
