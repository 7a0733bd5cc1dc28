"""The Paystack adapter against a fake Paystack served over HTTP (no mocks): request shapes, retry-safe checkout,
refunds sent once, error mapping, verification in `confirm`, and the janitor's lookups."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import InvalidSignature, ProviderError, ProviderUnavailable
from application.ports.payment_provider import PaymentProvider
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import Refund, RefundReason
from domain.payments.status import RefundStatus
from domain.shared.money import Currency, Money
from infrastructure.ids import SortableIdGenerator
from infrastructure.providers.paystack.config import PaystackConfig
from infrastructure.providers.paystack.references import MAX_ATTEMPTS, transaction_reference
from infrastructure.providers.paystack.wiring import build
from infrastructure.providers.registry import build_provider_registry
from infrastructure.settings import SettingsError
from tests.provider_fakes.paystack import SECRET_KEY, FakePaystack
from tests.provider_fakes.server import running
from tests.provider_settings import provider_context, settings_with

TIMEOUT = 0.3
AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
ids = SortableIdGenerator()


@dataclass
class Env:
    fake: FakePaystack
    url: str
    paystack: PaymentProvider


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakePaystack, str]]:
    fake = FakePaystack()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
def served(server: tuple[FakePaystack, str]) -> tuple[FakePaystack, str]:
    server[0].reset()
    return server


@pytest.fixture
async def env(served: tuple[FakePaystack, str]) -> AsyncIterator[Env]:
    fake, url = served
    async with httpx.AsyncClient() as http:
        yield Env(fake, url, _build(http, url))


def _build(http: httpx.AsyncClient, url: str, key: str = SECRET_KEY) -> PaymentProvider:
    config = PaystackConfig(secret_keys=(key,), api_base=url)
    return build(config, provider_context(http, timeout_seconds=TIMEOUT))


def _payment(amount: int = 10_000, order_id: str = "order-1", **details: Any) -> Payment:
    return Payment.initiate(
        ids.new("pay"), order_id, Money.of(amount, "NGN"), "paystack", CheckoutDetails(**details), AT
    )


async def _paid(env: Env, amount: int = 10_000) -> Payment:
    payment = _payment(amount)
    session = await env.paystack.create_checkout(payment)
    payment.attach_checkout_session(session.provider_reference, session.checkout_url, None, AT)
    env.fake.pay(session.provider_reference)
    payment.succeed(AT)
    return payment


def _refund(payment: Payment, amount: int) -> Refund:
    return payment.request_refund(ids.new("re"), amount, RefundReason.REQUESTED_BY_CUSTOMER, None, AT)


def _charge_event(env: Env, reference: str, amount: int | None = None) -> ProviderEvent:
    body = env.fake.charge_success(reference, amount=amount)
    return env.paystack.parse_webhook(env.fake.headers(body), body)


# ---- checkout ---------------------------------------------------------------------------------------------
async def test_checkout_sends_paystacks_initialize(env: Env) -> None:
    payment = _payment(
        customer_email="ada@example.com", return_url="https://shop.example/paid", cancel_url="https://shop.example/cart"
    )
    session = await env.paystack.create_checkout(payment)

    [call] = env.fake.calls_to("POST", "/transaction/initialize")
    reference = transaction_reference(payment.id)
    assert call.body == {
        "email": "ada@example.com",
        "amount": 10_000,  # kobo: our minor units, as an integer
        "currency": "NGN",
        "reference": reference,
        "callback_url": "https://shop.example/paid",
        "metadata": {"payment_id": payment.id, "order_id": "order-1", "cancel_action": "https://shop.example/cart"},
    }
    access_code = env.fake.transactions[reference].access_code
    assert (session.provider_reference, session.checkout_url, session.expires_at) == (
        reference,
        f"https://checkout.paystack.com/{access_code}",
        None,
    )


@pytest.mark.parametrize(
    ("order_id", "email"),
    [("order-1", "order-1@customers.invalid"), ("shop/42 #7", "shop-42--7@customers.invalid")],
)
async def test_checkout_without_an_email_uses_a_placeholder_paystack_accepts(
    env: Env, order_id: str, email: str
) -> None:
    await env.paystack.create_checkout(_payment(order_id=order_id))
    [call] = env.fake.calls_to("POST", "/transaction/initialize")
    assert call.body["email"] == email
    assert "callback_url" not in call.body


async def test_a_checkout_retried_after_a_lost_answer_gets_a_fresh_reference(env: Env) -> None:
    payment = _payment()
    env.fake.delay(TIMEOUT * 2, path="/transaction/initialize")  # Paystack creates it; the answer is too late
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await env.paystack.create_checkout(payment)
    assert transaction_reference(payment.id) in env.fake.transactions

    session = await env.paystack.create_checkout(payment)

    assert session.provider_reference == transaction_reference(payment.id, 1)
    sent = [c.body["reference"] for c in env.fake.calls_to("POST", "/transaction/initialize")]
    assert sent == [transaction_reference(payment.id)] * 2 + [transaction_reference(payment.id, 1)]
    # a webhook about either transaction still names our payment
    for reference in env.fake.transactions:
        assert _charge_event(env, reference).payment_id == payment.id


async def test_concurrent_checkouts_for_one_payment_both_get_a_session(env: Env) -> None:
    payment = _payment()
    first, second = await asyncio.gather(*(env.paystack.create_checkout(payment) for _ in range(2)))
    assert {first.provider_reference, second.provider_reference} == {
        transaction_reference(payment.id),
        transaction_reference(payment.id, 1),
    }


async def test_checkout_gives_up_when_every_reference_is_taken(env: Env) -> None:
    payment = _payment()
    await env.paystack.create_checkout(payment)
    taken = env.fake.transactions[transaction_reference(payment.id)]
    for attempt in range(1, MAX_ATTEMPTS):
        env.fake.transactions[transaction_reference(payment.id, attempt)] = taken
    with pytest.raises(ProviderError, match="are used"):
        await env.paystack.create_checkout(payment)
    assert len(env.fake.calls_to("POST", "/transaction/initialize")) == 1 + MAX_ATTEMPTS


async def test_a_refused_checkout_is_a_provider_error_with_paystacks_message(env: Env) -> None:
    with pytest.raises(ProviderError) as refused:
        await env.paystack.create_checkout(_payment(customer_email="not-an-email"))
    assert (refused.value.status, refused.value.message) == (400, "Invalid Email Address Passed")


# ---- refunds ------------------------------------------------------------------------------------------------
async def test_refund_is_sent_once_and_answered_pending(env: Env) -> None:
    payment = await _paid(env)
    refund = _refund(payment, 2_500)

    answer = await env.paystack.refund(payment, refund)

    [call] = env.fake.calls_to("POST", "/refund")
    assert call.body["transaction"] == payment.provider_reference
    assert (call.body["amount"], call.body["currency"]) == (2_500, "NGN")
    assert refund.id in call.body["merchant_note"]
    [created] = env.fake.refunds.values()
    assert (answer.provider_reference, answer.status) == (str(created.id), RefundStatus.PENDING)


@pytest.mark.parametrize("trouble", ["timeout", "500", "503", "429", "garbled"])
async def test_a_refund_whose_outcome_is_unknown_is_never_resent(env: Env, trouble: str) -> None:
    payment = await _paid(env)
    if trouble == "timeout":
        env.fake.delay(TIMEOUT * 2, path="/refund")
    elif trouble == "garbled":
        env.fake.garble(path="/refund")
    else:
        env.fake.fail(int(trouble), path="/refund")

    with pytest.raises(ProviderUnavailable):
        await env.paystack.refund(payment, _refund(payment, 2_500))
    if trouble == "timeout":
        await asyncio.sleep(TIMEOUT * 2)  # the late answer arrives and is dropped; nothing follows it
    assert len(env.fake.calls_to("POST", "/refund")) == 1


async def test_a_refused_refund_is_a_provider_error(env: Env) -> None:
    payment = _payment()
    session = await env.paystack.create_checkout(payment)  # never paid on Paystack's side
    payment.attach_checkout_session(session.provider_reference, session.checkout_url, None, AT)
    payment.succeed(AT)
    with pytest.raises(ProviderError) as refused:
        await env.paystack.refund(payment, _refund(payment, 1_000))
    assert refused.value.status == 400
    assert refused.value.message == "Cannot refund a transaction that was not successful"


# ---- error mapping --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_server_errors_and_rate_limits_are_unavailability(env: Env, status: int) -> None:
    env.fake.fail(status)
    with pytest.raises(ProviderUnavailable) as caught:
        await env.paystack.create_checkout(_payment())
    assert caught.value.retry_after == (7 if status == 429 else 30)


async def test_a_wrong_key_is_refused_without_leaking_it(served: tuple[FakePaystack, str]) -> None:
    _, url = served
    async with httpx.AsyncClient() as http:
        paystack = _build(http, url, key="sk_test_wrong_key_1234")
        with pytest.raises(ProviderError) as refused:
            await paystack.create_checkout(_payment())
    assert (refused.value.status, refused.value.message) == (401, "Invalid key")
    assert "sk_test" not in str(refused.value)


async def test_while_a_key_is_rotated_the_first_calls_paystack_and_either_verifies(
    served: tuple[FakePaystack, str],
) -> None:
    fake, url = served
    old = "sk_test_" + "0" * 40
    async with httpx.AsyncClient() as http:
        config = PaystackConfig(secret_keys=(SECRET_KEY, old), api_base=url)
        paystack = build(config, provider_context(http, timeout_seconds=TIMEOUT))
        session = await paystack.create_checkout(_payment())  # the fake takes only SECRET_KEY: the first is used
    body = fake.charge_success(session.provider_reference)
    for key in (SECRET_KEY, old):
        assert paystack.parse_webhook(fake.headers(body, key), body).event_type == "charge.success"
    with pytest.raises(InvalidSignature):
        paystack.parse_webhook(fake.headers(body, "sk_test_" + "1" * 40), body)


async def test_an_unreachable_paystack_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once the socket is closed
    async with httpx.AsyncClient() as http:
        paystack = _build(http, f"http://127.0.0.1:{port}")
        with pytest.raises(ProviderUnavailable, match="ConnectError"):
            await paystack.create_checkout(_payment())


# ---- confirm: verify before giving value -------------------------------------------------------------------------
async def test_confirm_returns_paystacks_verified_success(env: Env) -> None:
    payment = _payment()
    session = await env.paystack.create_checkout(payment)
    env.fake.pay(session.provider_reference)
    event = _charge_event(env, session.provider_reference)
    assert event.needs_confirmation

    confirmed = await env.paystack.confirm(event)

    assert confirmed.action is EventAction.PAYMENT_SUCCEEDED
    assert not confirmed.needs_confirmation
    assert (confirmed.payment_id, confirmed.event_id) == (payment.id, event.event_id)
    assert (confirmed.amount, confirmed.currency) == (10_000, "NGN")
    [verify] = env.fake.calls_to("GET", "/transaction/verify/")
    assert verify.path == f"/transaction/verify/{session.provider_reference}"


async def test_confirm_reports_paystacks_amount_not_the_webhooks(env: Env) -> None:
    session = await env.paystack.create_checkout(_payment())
    env.fake.pay(session.provider_reference, amount=100)  # Paystack took 1 NGN
    confirmed = await env.paystack.confirm(_charge_event(env, session.provider_reference, amount=10_000))
    assert (confirmed.action, confirmed.amount) == (EventAction.PAYMENT_SUCCEEDED, 100)  # the handler refuses it


async def test_confirm_of_a_failed_charge_fails_the_payment(env: Env) -> None:
    session = await env.paystack.create_checkout(_payment())
    env.fake.pay(session.provider_reference, status="failed")
    confirmed = await env.paystack.confirm(_charge_event(env, session.provider_reference))
    assert confirmed.action is EventAction.PAYMENT_FAILED
    assert confirmed.reason == "Paystack: Declined"


@pytest.mark.parametrize("status", ["abandoned", "ongoing", "pending", "processing", "queued"])
async def test_confirm_waits_while_paystack_has_no_verdict(env: Env, status: str) -> None:
    session = await env.paystack.create_checkout(_payment())
    event = _charge_event(env, session.provider_reference)
    env.fake.transactions[session.provider_reference].status = status
    with pytest.raises(ProviderUnavailable, match=f"still {status}"):
        await env.paystack.confirm(event)


async def test_confirm_of_an_unknown_transaction_is_refused(env: Env) -> None:
    session = await env.paystack.create_checkout(_payment())
    event = _charge_event(env, session.provider_reference)
    with pytest.raises(ProviderError) as refused:
        await env.paystack.confirm(replace(event, provider_reference="pay-01NOSUCHPAYMENT"))
    assert refused.value.status == 404


# ---- lookups (janitor) ---------------------------------------------------------------------------------------------
async def test_lookup_payment(env: Env) -> None:
    payment = _payment()
    assert await env.paystack.lookup_payment(payment) is None  # never reached Paystack
    session = await env.paystack.create_checkout(payment)
    assert await env.paystack.lookup_payment(payment) is None  # abandoned: the customer may still pay
    env.fake.pay(session.provider_reference)
    found = await env.paystack.lookup_payment(payment)
    assert found is not None
    assert (found.action, found.payment_id, found.amount, found.currency) == (
        EventAction.PAYMENT_SUCCEEDED,
        payment.id,
        10_000,
        "NGN",
    )


async def test_lookup_refund_by_paystacks_id(env: Env) -> None:
    payment = await _paid(env)
    refund = _refund(payment, 2_500)
    answer = await env.paystack.refund(payment, refund)
    payment.mark_refund_submitted(refund.id, answer.provider_reference, AT)
    assert await env.paystack.lookup_refund(payment, refund) is None  # still pending

    env.fake.refunds[int(answer.provider_reference)].status = "processed"
    found = await env.paystack.lookup_refund(payment, refund)
    assert found is not None
    assert (found.action, found.refund_id, found.provider_reference, found.amount) == (
        EventAction.REFUND_SUCCEEDED,
        refund.id,
        answer.provider_reference,
        2_500,
    )
    env.fake.refunds[int(answer.provider_reference)].status = "failed"
    failed = await env.paystack.lookup_refund(payment, refund)
    assert failed is not None
    assert failed.action is EventAction.REFUND_FAILED


async def test_lookup_finds_a_refund_whose_answer_was_lost(env: Env) -> None:
    payment = await _paid(env)
    other = _refund(payment, 1_000)
    await env.paystack.refund(payment, other)
    lost = _refund(payment, 2_500)
    env.fake.delay(TIMEOUT * 2, path="/refund")
    with pytest.raises(ProviderUnavailable):
        await env.paystack.refund(payment, lost)
    await asyncio.sleep(TIMEOUT * 2)
    assert lost.provider_reference is None

    [created] = [r for r in env.fake.refunds.values() if r.amount == 2_500]
    created.status = "processed"
    found = await env.paystack.lookup_refund(payment, lost)
    assert found is not None
    assert (found.action, found.refund_id, found.provider_reference) == (
        EventAction.REFUND_SUCCEEDED,
        lost.id,
        str(created.id),
    )


async def test_lookup_of_a_refund_paystack_never_got_is_none(env: Env) -> None:
    payment = await _paid(env)
    assert await env.paystack.lookup_refund(payment, _refund(payment, 2_500)) is None


# ---- wiring ----------------------------------------------------------------------------------------------------------
async def test_currencies_and_configuration(env: Env) -> None:
    assert [
        c for c in ("NGN", "GHS", "ZAR", "KES", "USD", "EGP", "XOF", "EUR") if env.paystack.supports(Currency(c))
    ] == [
        "NGN",
        "GHS",
        "ZAR",
        "KES",
        "USD",
        "EGP",
    ]
    async with httpx.AsyncClient() as http:
        with pytest.raises(SettingsError, match="PAYMENTS_PAYSTACK_SECRET_KEY"):
            build_provider_registry(settings_with(providers=("paystack",)), provider_context(http))
