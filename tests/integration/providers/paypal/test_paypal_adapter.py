"""The PayPal adapter against a fake PayPal over real HTTP: what it sends (shapes, ids, idempotency keys), how
it keeps its token, how it captures, refunds and verifies, and how PayPal's answers map to the port's errors."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from application.errors import InvalidSignature, ProviderError, ProviderUnavailable
from domain.payments.payment import Payment
from domain.payments.status import RefundStatus
from domain.shared.money import Money
from infrastructure.providers.paypal.adapter import PayPalPaymentProvider
from infrastructure.providers.paypal.certificates import PayPalCertificates
from infrastructure.providers.paypal.webhooks import UnverifiedEvent
from infrastructure.providers.registry import build_provider_registry
from infrastructure.settings import SettingsError
from tests.integration.providers.paypal.support import (
    A,
    build,
    checked_out,
    deliver,
    new_payment,
    new_refund,
    paid,
    paypal_config,
    send,
)
from tests.provider_fakes.paypal import WEBHOOK_ID, FakePayPal, new_key, sign_webhook
from tests.provider_fakes.server import running
from tests.provider_settings import provider_context, settings_with
from tests.unit.fakes import FakeClock


# ---- checkout --------------------------------------------------------------------------------------------
async def test_checkout_creates_one_order_carrying_our_payment_id(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = new_payment(1000)

    session = await paypal.create_checkout(payment)
    again = await paypal.create_checkout(payment)

    assert session == again
    assert session.checkout_url == f"https://www.sandbox.paypal.com/checkoutnow?token={session.provider_reference}"
    assert list(fake.orders) == [session.provider_reference]
    first, second = fake.calls("create_order")
    assert first.headers["paypal-request-id"] == second.headers["paypal-request-id"] == f"checkout-{payment.id}"
    assert b'"value":"10.00"' in first.body  # a decimal string, never a JSON number
    assert first.json() == {
        "intent": "CAPTURE",
        "purchase_units": [
            {
                "reference_id": "order-1",
                "custom_id": payment.id,
                "invoice_id": payment.id,
                "amount": {"currency_code": "USD", "value": "10.00"},
                "description": "Order 1",
            }
        ],
        "payment_source": {
            "paypal": {
                "experience_context": {
                    "user_action": "PAY_NOW",
                    "return_url": "https://shop.example/paid",
                    "cancel_url": "https://shop.example/cart",
                }
            }
        },
    }


@pytest.mark.parametrize(("amount", "currency", "value"), [(1999, "JPY", "1999"), (150_000, "HUF", "1500")])
async def test_zero_decimal_currencies_are_sent_in_whole_units(
    paypal: PayPalPaymentProvider, fake: FakePayPal, amount: int, currency: str, value: str
) -> None:
    await paypal.create_checkout(new_payment(amount, currency))
    assert fake.calls("create_order")[0].json()["purchase_units"][0]["amount"] == {
        "currency_code": currency,
        "value": value,
    }


async def test_a_fractional_huf_amount_is_refused_before_any_call(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    with pytest.raises(ProviderError, match="whole units"):
        await paypal.create_checkout(new_payment(150_050, "HUF"))
    assert fake.requests == []


def test_supported_currencies(paypal: PayPalPaymentProvider) -> None:
    assert [c for c in ("USD", "EUR", "JPY", "HUF", "TWD", "NGN", "KWD") if paypal.supports(Money.of(1, c).currency)] == [
        "USD", "EUR", "JPY", "HUF", "TWD",
    ]  # fmt: skip


# ---- the OAuth token ----------------------------------------------------------------------------------------
async def test_one_token_serves_many_calls_until_shortly_before_it_expires(
    paypal: PayPalPaymentProvider, fake: FakePayPal, clock: FakeClock
) -> None:
    payment = new_payment()
    for _ in range(5):
        await paypal.create_checkout(payment)
    assert len(fake.calls("token")) == 1
    token_call = fake.calls("token")[0]
    assert token_call.headers["authorization"].startswith("Basic ")
    assert token_call.body == b"grant_type=client_credentials"

    clock.advance(minutes=54)  # the token lives 60 minutes; it is replaced 5 minutes early
    await paypal.create_checkout(payment)
    assert len(fake.calls("token")) == 1
    clock.advance(minutes=2)
    await paypal.create_checkout(payment)
    assert len(fake.calls("token")) == 2


async def test_concurrent_calls_wait_for_one_token(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    await asyncio.gather(*(paypal.create_checkout(new_payment()) for _ in range(8)))
    assert len(fake.calls("token")) == 1
    assert len(fake.calls("create_order")) == 8


async def test_a_revoked_token_is_replaced_once(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = new_payment()
    await paypal.create_checkout(payment)
    fake.expire_tokens()

    await paypal.create_checkout(payment)

    assert len(fake.calls("token")) == 2
    assert len(fake.calls("create_order")) == 3  # the refused one, then its repeat with the new token


async def test_a_token_refused_again_after_refreshing_is_an_error_not_a_loop(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    refused = {"error": "invalid_token", "error_description": "Token signature verification failed"}
    fake.fail("create_order", 401, refused)
    fake.fail("create_order", 401, refused)

    with pytest.raises(ProviderError, match="invalid_token") as error:
        await paypal.create_checkout(new_payment())
    assert error.value.status == 401
    assert (len(fake.calls("token")), len(fake.calls("create_order"))) == (2, 2)


async def test_wrong_client_credentials_are_a_provider_error_without_the_secret(
    fake_url: str, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    wrong = build(replace(paypal_config(fake_url), client_secret="EL-not-the-secret"), http, clock)
    with pytest.raises(ProviderError, match="invalid_client") as error:
        await wrong.create_checkout(new_payment())
    assert "EL-not-the-secret" not in str(error.value)


# ---- capture on approval ---------------------------------------------------------------------------------
async def test_an_approved_order_is_captured_in_confirm_once(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await checked_out(paypal, new_payment(1000))
    assert payment.provider_reference is not None
    body, headers = fake.webhook("CHECKOUT.ORDER.APPROVED", fake.approve(payment.provider_reference))

    stored = paypal.parse_webhook(headers, body)
    assert (stored.needs_confirmation, stored.action) == (True, A.NONE)  # first certificate: unverified yet
    captured = await paypal.confirm(stored)
    again = await deliver(paypal, headers, body)  # the same approval delivered again (certificate cached now)

    for event in (captured, again):
        assert (event.action, event.payment_id, event.amount, event.currency) == (
            A.PAYMENT_SUCCEEDED,
            payment.id,
            1000,
            "USD",
        )
        assert (event.event_id, event.provider_reference, event.needs_confirmation) == (
            stored.event_id,
            payment.provider_reference,
            False,
        )
    assert [c.headers["paypal-request-id"] for c in fake.calls("capture")] == [f"capture-{payment.id}"] * 2
    assert len(fake.captures) == 1  # PayPal answered the repeat from its request-id memory


async def test_an_order_captured_before_our_request_id_is_remembered_is_read_back(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await paid(paypal, fake)
    assert payment.provider_reference is not None
    fake.forget_request_ids()  # PayPal forgets request ids after a while: the repeat is a new request

    body, headers = fake.webhook("CHECKOUT.ORDER.APPROVED", fake.order(payment.provider_reference))
    event = await deliver(paypal, headers, body)

    assert (event.action, event.amount) == (A.PAYMENT_SUCCEEDED, 1000)
    assert len(fake.captures) == 1
    assert len(fake.calls("get_order")) == 1  # 422 ORDER_ALREADY_CAPTURED → the order says what happened


async def test_a_declined_capture_fails_the_payment(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await checked_out(paypal, new_payment())
    assert payment.provider_reference is not None
    fake.capture_status = "DECLINED"
    event = await send(paypal, fake, "CHECKOUT.ORDER.APPROVED", fake.approve(payment.provider_reference))
    assert (event.action, event.payment_id) == (A.PAYMENT_FAILED, payment.id)
    assert event.reason is not None
    assert "declined" in event.reason


async def test_a_pending_capture_is_asked_again_later(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await checked_out(paypal, new_payment())
    assert payment.provider_reference is not None
    fake.capture_status = "PENDING"
    body, headers = fake.webhook("CHECKOUT.ORDER.APPROVED", fake.approve(payment.provider_reference))

    with pytest.raises(ProviderUnavailable, match="PENDING_REVIEW"):
        await deliver(paypal, headers, body)
    assert len(fake.calls("get_order")) == 1  # the capture's answer may be stale: the order is read once


async def test_a_refund_naming_only_the_capture_finds_our_payment_through_it(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await paid(paypal, fake)
    assert payment.provider_reference is not None
    capture = fake.capture_of(payment.provider_reference)
    resource = {"id": "REFUNDFROMDASHBOARD", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "1.00"},
                "links": [{"href": f"https://api.paypal.com/v2/payments/captures/{capture['id']}", "rel": "up"}]}  # fmt: skip

    event = await send(paypal, fake, "PAYMENT.CAPTURE.REFUNDED", resource)

    assert (event.action, event.payment_id, event.refund_id) == (A.REFUND_SUCCEEDED, payment.id, "REFUNDFROMDASHBOARD")
    assert len(fake.calls("get_capture")) == 1


# ---- refunds ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("paypal_says", "we_record"), [("COMPLETED", RefundStatus.SUCCEEDED), ("PENDING", RefundStatus.PENDING)]
)
async def test_a_refund_is_sent_once_with_our_ids(
    paypal: PayPalPaymentProvider, fake: FakePayPal, paypal_says: str, we_record: RefundStatus
) -> None:
    payment = await paid(paypal, fake, 1000)
    refund = new_refund(payment, 250)
    fake.refund_status = paypal_says

    answer = await paypal.refund(payment, refund)
    repeated = await paypal.refund(payment, refund)

    assert answer == repeated
    assert (answer.status, answer.provider_reference) == (we_record, next(iter(fake.refunds)))
    assert len(fake.refunds) == 1
    sent = fake.calls("refund")[0]
    assert sent.headers["paypal-request-id"] == f"refund-{refund.id}"
    assert sent.json() == {
        "amount": {"currency_code": "USD", "value": "2.50"},
        "custom_id": refund.id,
        "invoice_id": payment.id,
        "note_to_payer": "sorry",
    }  # fmt: skip


async def test_a_refund_beyond_the_capture_is_refused_with_paypals_words(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    payment = await paid(paypal, fake, 1000)
    refund = new_refund(payment, 1000)
    refund.amount = Money.of(1001, "USD")  # our books would never allow it; PayPal must refuse it too
    with pytest.raises(ProviderError, match="REFUND_AMOUNT_EXCEEDED: The refund amount must be less") as error:
        await paypal.refund(payment, refund)
    assert error.value.status == 422


async def test_a_refund_that_timed_out_is_found_on_the_order_later(
    fake: FakePayPal, fake_url: str, http: httpx.AsyncClient, clock: FakeClock, certificates: PayPalCertificates
) -> None:
    paypal = build(paypal_config(fake_url), http, clock, certificates=certificates)
    impatient = build(paypal_config(fake_url), http, clock, timeout=0.3, certificates=certificates)
    payment = await paid(paypal, fake, 1000)
    refund = new_refund(payment, 400)
    fake.delay("refund", 1.0)

    with pytest.raises(ProviderUnavailable, match="timed out"):
        await impatient.refund(payment, refund)
    assert refund.provider_reference is None  # we never learnt PayPal's refund id

    news = await paypal.lookup_refund(payment, refund)
    assert news is not None
    assert (news.action, news.refund_id, news.amount) == (A.REFUND_SUCCEEDED, refund.id, 400)
    assert len(fake.calls("refund")) == 1


async def test_refund_lookups_follow_paypals_status(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await paid(paypal, fake, 1000)
    refund = new_refund(payment, 300)
    fake.refund_status = "PENDING"
    answer = await paypal.refund(payment, refund)
    payment.mark_refund_submitted(refund.id, answer.provider_reference, datetime.now(UTC))

    assert await paypal.lookup_refund(payment, refund) is None  # still pending
    fake.settle_refund(answer.provider_reference, "FAILED")
    failed = await paypal.lookup_refund(payment, refund)
    assert failed is not None
    assert (failed.action, failed.payment_id, failed.refund_id, failed.amount) == (
        A.REFUND_FAILED,
        payment.id,
        refund.id,
        300,
    )
    assert fake.calls("get_refund")[-1].path == f"/v2/payments/refunds/{answer.provider_reference}"


# ---- lookups -------------------------------------------------------------------------------------------------
async def test_payment_lookups_follow_the_order(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    unsent = new_payment()
    assert await paypal.lookup_payment(unsent) is None  # no order yet: nothing to ask
    payment = await checked_out(paypal, new_payment(1000))
    assert payment.provider_reference is not None
    assert await paypal.lookup_payment(payment) is None  # waiting for the buyer

    fake.approve(payment.provider_reference)
    assert await paypal.lookup_payment(payment) is None  # approved but not captured: not money yet
    await paid_order(paypal, fake, payment)
    succeeded = await paypal.lookup_payment(payment)
    assert succeeded is not None
    assert (succeeded.action, succeeded.payment_id, succeeded.amount, succeeded.currency) == (
        A.PAYMENT_SUCCEEDED,
        payment.id,
        1000,
        "USD",
    )

    payment.succeed(datetime.now(UTC))
    fake.refund_status = "COMPLETED"
    await paypal.refund(payment, new_refund(payment, 100))  # the capture is PARTIALLY_REFUNDED now: still paid
    later = await paypal.lookup_payment(payment)
    assert later is not None
    assert later.action is A.PAYMENT_SUCCEEDED


async def paid_order(paypal: PayPalPaymentProvider, fake: FakePayPal, payment: Payment) -> None:
    assert payment.provider_reference is not None
    body, headers = fake.webhook("CHECKOUT.ORDER.APPROVED", fake.order(payment.provider_reference))
    await deliver(paypal, headers, body)


async def test_a_voided_order_fails_the_payment(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await checked_out(paypal, new_payment())
    assert payment.provider_reference is not None
    fake.orders[payment.provider_reference]["status"] = "VOIDED"
    news = await paypal.lookup_payment(payment)
    assert news is not None
    assert (news.action, news.payment_id) == (A.PAYMENT_FAILED, payment.id)


# ---- webhook verification -----------------------------------------------------------------------------------
ODD_BODY = (
    b'{ "id" : "WH-SPLICE-1",\n  "event_type":"PAYMENT.CAPTURE.COMPLETED", "summary": "caf\\u00e9 \xc3\xa9",\n'
    b'  "resource": {"status":"COMPLETED", "id":"CAP1", "custom_id":"pay_1",'
    b' "amount":{"value":"10.00","currency_code":"USD"}, "exchange_rate": 1.10} }'
)


async def test_postback_verification_sends_the_raw_body_spliced_in(
    fake: FakePayPal, fake_url: str, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    paypal = build(paypal_config(fake_url, "postback"), http, clock)
    headers = sign_webhook(ODD_BODY, fake.pki.leaf_key)

    stored = paypal.parse_webhook(headers, ODD_BODY)
    assert isinstance(stored, UnverifiedEvent)
    event = await paypal.confirm(stored)

    assert (event.action, event.payment_id, event.amount) == (A.PAYMENT_SUCCEEDED, "pay_1", 1000)
    sent = fake.calls("verify")[0]
    assert ODD_BODY in sent.body  # byte for byte: re-serialised JSON would change the CRC32
    request = json.loads(sent.body)
    assert request["webhook_id"] == WEBHOOK_ID
    assert request["webhook_event"]["id"] == "WH-SPLICE-1"
    assert {k: request[k] for k in ("transmission_id", "transmission_time", "transmission_sig", "cert_url", "auth_algo")} == {
        "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
        "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
        "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
        "cert_url": headers["PAYPAL-CERT-URL"],
        "auth_algo": "SHA256withRSA",
    }  # fmt: skip


async def test_postback_failure_is_never_applied(
    fake: FakePayPal, fake_url: str, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    paypal = build(paypal_config(fake_url, "postback"), http, clock)
    forged = sign_webhook(ODD_BODY, new_key())
    with pytest.raises(ProviderError, match="FAILURE"):
        await paypal.confirm(paypal.parse_webhook(forged, ODD_BODY))


async def test_offline_verification_fetches_the_certificate_once(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    first = await deliver(paypal, sign_webhook(ODD_BODY, fake.pki.leaf_key), ODD_BODY)
    second_body = ODD_BODY.replace(b"WH-SPLICE-1", b"WH-SPLICE-2")
    second = paypal.parse_webhook(sign_webhook(second_body, fake.pki.leaf_key), second_body)

    assert first.action is second.action is A.PAYMENT_SUCCEEDED
    assert not second.needs_confirmation  # verified from the cached certificate, no I/O
    assert len(fake.calls("cert")) == 1
    with pytest.raises(InvalidSignature):
        paypal.parse_webhook(sign_webhook(second_body, new_key()), second_body)  # refused at once: nothing stored


async def test_an_offline_forgery_with_an_unknown_certificate_fails_in_confirm(
    paypal: PayPalPaymentProvider, fake: FakePayPal
) -> None:
    stored = paypal.parse_webhook(sign_webhook(ODD_BODY, new_key()), ODD_BODY)
    assert (stored.needs_confirmation, stored.action, stored.payment_id) == (True, A.NONE, None)
    with pytest.raises(ProviderError, match="does not match"):
        await paypal.confirm(stored)


# ---- error mapping ----------------------------------------------------------------------------------------------
UNPROCESSABLE = {
    "name": "UNPROCESSABLE_ENTITY",
    "message": "The requested action could not be performed.",
    "debug_id": "f0a2b3c4d5e6f",
    "details": [{"issue": "PAYEE_ACCOUNT_RESTRICTED", "description": "The merchant account is restricted."}],
}


@pytest.mark.parametrize(
    ("status", "payload", "expected", "text"),
    [
        (500, None, ProviderUnavailable, "answered 500"),
        (503, None, ProviderUnavailable, "answered 503"),
        (429, {"name": "RATE_LIMIT_REACHED", "message": "Too many requests."}, ProviderUnavailable, "answered 429"),
        (422, UNPROCESSABLE, ProviderError, "UNPROCESSABLE_ENTITY/PAYEE_ACCOUNT_RESTRICTED: The merchant account is restricted. (debug_id f0a2b3c4d5e6f)"),
        (400, {"name": "INVALID_REQUEST", "message": "Request is not well-formed."}, ProviderError, "INVALID_REQUEST: Request is not well-formed."),
        (403, {"name": "NOT_AUTHORIZED", "message": "Authorization failed."}, ProviderError, "NOT_AUTHORIZED"),
        (404, {}, ProviderError, "HTTP 404: no message"),
    ],
)  # fmt: skip
async def test_paypal_answers_map_to_the_ports_errors(
    paypal: PayPalPaymentProvider,
    fake: FakePayPal,
    status: int,
    payload: dict[str, Any] | None,
    expected: type,
    text: str,
) -> None:
    fake.fail("create_order", status, payload)
    with pytest.raises(expected) as error:
        await paypal.create_checkout(new_payment())
    assert text in str(error.value)


async def test_a_slow_paypal_is_unavailable(
    fake: FakePayPal, fake_url: str, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    fake.delay("create_order", 1.0)
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await build(paypal_config(fake_url), http, clock, timeout=0.3).create_checkout(new_payment())


async def test_an_unreachable_paypal_is_unavailable(http: httpx.AsyncClient, clock: FakeClock) -> None:
    with running(FakePayPal()) as url:
        closed = url
    with pytest.raises(ProviderUnavailable, match="failed"):
        await build(paypal_config(closed), http, clock).create_checkout(new_payment())


def test_build_names_missing_credentials(http: httpx.AsyncClient, clock: FakeClock) -> None:
    incomplete = replace(paypal_config("http://127.0.0.1:9"), client_secret="", webhook_id="")
    with pytest.raises(SettingsError) as error:
        build_provider_registry(settings_with(providers=("paypal",), paypal=incomplete), provider_context(http, clock))
    assert error.value.problems == [
        "PAYMENTS_PAYPAL_CLIENT_SECRET is required because paypal is in PAYMENTS_PROVIDERS",
        "PAYMENTS_PAYPAL_WEBHOOK_ID is required because paypal is in PAYMENTS_PROVIDERS",
    ]


def test_events_old_enough_to_be_replays_are_refused(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    old = sign_webhook(ODD_BODY, fake.pki.leaf_key, sent_at=datetime.now(UTC) - timedelta(days=5))
    with pytest.raises(InvalidSignature, match="old"):
        paypal.parse_webhook(old, ODD_BODY)
