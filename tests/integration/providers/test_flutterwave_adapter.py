"""The Flutterwave adapter against the fake Flutterwave v3 API over real HTTP (no mocks): request shapes,
re-verification in `confirm`, a refund sent exactly once, failure mapping onto the port, and the lookups."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import InvalidSignature, ProviderError, ProviderUnavailable
from application.ports.payment_provider import PaymentProvider
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import Refund, RefundReason
from domain.payments.status import RefundStatus
from domain.shared.money import Currency, Money
from infrastructure.providers.flutterwave.config import FlutterwaveConfig
from infrastructure.providers.flutterwave.wiring import build
from infrastructure.providers.plugin import ProviderContext
from tests.provider_fakes.flutterwave import SECRET_HASH, SECRET_KEY, FakeFlutterwave, Webhook
from tests.provider_fakes.server import running
from tests.provider_settings import provider_context

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
TIMEOUT = 0.5
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeFlutterwave, str]]:
    fake = FakeFlutterwave()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
def fake(served: tuple[FakeFlutterwave, str]) -> FakeFlutterwave:
    served[0].reset()
    return served[0]


def _config(api_base: str) -> FlutterwaveConfig:
    return FlutterwaveConfig(secret_key=SECRET_KEY, secret_hashes=(SECRET_HASH,), api_base=api_base)


def _context(http: httpx.AsyncClient) -> ProviderContext:
    return provider_context(http, public_url="https://payments.example", timeout_seconds=TIMEOUT)


@pytest.fixture
async def provider(served: tuple[FakeFlutterwave, str], fake: FakeFlutterwave) -> AsyncIterator[PaymentProvider]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield build(_config(served[1]), _context(http))


def new_payment(amount: int = 10_050, currency: str = "NGN", **details: str) -> Payment:
    number = next(_numbers)
    details.setdefault("return_url", "https://shop.example/paid")
    return Payment.initiate(
        f"pay_01FW{number:04d}", f"order-{number}", Money.of(amount, currency), "flutterwave",
        CheckoutDetails(**details), AT,
    )  # fmt: skip


async def paid(provider: PaymentProvider, fake: FakeFlutterwave, amount: int = 10_050) -> tuple[Payment, Webhook]:
    payment = new_payment(amount)
    await provider.create_checkout(payment)
    webhook = fake.pay(payment.id)
    payment.succeed(AT)
    return payment, webhook


def refund_of(payment: Payment, amount: int) -> Refund:
    return payment.request_refund(f"re_01FW{next(_numbers):04d}", amount, RefundReason.REQUESTED_BY_CUSTOMER, None, AT)


def parse(provider: PaymentProvider, webhook: Webhook) -> ProviderEvent:
    return provider.parse_webhook(webhook.headers, webhook.body)


# ---- checkout -------------------------------------------------------------------------------------------------
async def test_checkout_is_a_flutterwave_standard_payment_with_a_decimal_amount(
    provider: PaymentProvider, fake: FakeFlutterwave
) -> None:
    payment = new_payment(10_050, customer_email="ada@example.com", customer_name="Ada", description="Order abc")
    session = await provider.create_checkout(payment)

    [call] = fake.calls("POST", "/v3/payments")
    assert call.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert call.headers["content-type"] == "application/json"
    assert b'"amount":100.50' in call.body  # an exact decimal number in major units, never a float
    assert call.json() == {
        "tx_ref": payment.id,
        "amount": Decimal("100.50"),
        "currency": "NGN",
        "redirect_url": "https://shop.example/paid",
        "customer": {"email": "ada@example.com", "name": "Ada"},
        "meta": {"payment_id": payment.id, "order_id": payment.order_id},
        "customizations": {"title": "Order abc"},
    }
    assert session.provider_reference == payment.id  # tx_ref: Flutterwave's numeric id comes only after payment
    assert "/v3/hosted/pay/" in session.checkout_url
    assert session.expires_at is None


async def test_checkout_defaults_and_zero_decimal_currencies(provider: PaymentProvider, fake: FakeFlutterwave) -> None:
    payment = new_payment(1000, "UGX", return_url="")
    await provider.create_checkout(payment)
    [call] = fake.calls("POST", "/v3/payments")
    assert b'"amount":1000,' in call.body  # UGX has exponent 0: 1000 minor units are 1000 shillings
    body = call.json()
    assert body["customer"] == {"email": f"order-{payment.order_id}@customers.invalid"}
    assert body["redirect_url"] == "https://payments.example"
    assert body["customizations"] == {"title": f"Order {payment.order_id}"}


async def test_checkout_twice_keeps_the_tx_ref_with_a_fresh_link(
    provider: PaymentProvider, fake: FakeFlutterwave
) -> None:
    payment = new_payment()
    first, second = await provider.create_checkout(payment), await provider.create_checkout(payment)
    assert first.provider_reference == second.provider_reference == payment.id
    assert [c.json()["tx_ref"] for c in fake.calls("POST", "/v3/payments")] == [payment.id, payment.id]


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, ProviderError), (401, ProviderError), (404, ProviderError), (429, ProviderUnavailable),
     (500, ProviderUnavailable), (502, ProviderUnavailable), (503, ProviderUnavailable), (302, ProviderUnavailable)],
)  # fmt: skip
async def test_checkout_failures_map_onto_the_port(
    provider: PaymentProvider, fake: FakeFlutterwave, status: int, error: type[Exception]
) -> None:
    fake.fail_next(status=status)
    with pytest.raises(error) as raised:
        await provider.create_checkout(new_payment())
    if isinstance(raised.value, ProviderError):
        assert (raised.value.message, raised.value.status) == (f"simulated HTTP {status}", status)


async def test_a_wrong_key_is_a_refusal_with_flutterwaves_message(
    served: tuple[FakeFlutterwave, str], fake: FakeFlutterwave
) -> None:
    async with httpx.AsyncClient() as http:
        config = dataclasses.replace(_config(served[1]), secret_key="FLWSECK-wrong")
        wrong = build(config, _context(http))
        with pytest.raises(ProviderError) as raised:
            await wrong.create_checkout(new_payment())
    assert (raised.value.message, raised.value.status) == ("Invalid authorization key", 401)
    assert "FLWSECK" not in str(raised.value)


async def test_checkout_timeout_and_unreachable_are_unavailable(
    provider: PaymentProvider, fake: FakeFlutterwave
) -> None:
    fake.slow_next(seconds=TIMEOUT * 3, path="/v3/payments")
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await provider.create_checkout(new_payment())
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    async with httpx.AsyncClient() as http:
        nowhere = build(_config(f"http://127.0.0.1:{port}"), _context(http))
        with pytest.raises(ProviderUnavailable, match="ConnectError"):
            await nowhere.create_checkout(new_payment())


async def test_while_the_secret_hash_is_rotated_the_old_one_still_vouches(
    served: tuple[FakeFlutterwave, str], fake: FakeFlutterwave
) -> None:
    """PAYMENTS_FLUTTERWAVE_SECRET_HASH=new,old: the dashboard still sends the old hash until it is switched."""
    async with httpx.AsyncClient() as http:
        config = dataclasses.replace(_config(served[1]), secret_hashes=("new-secret-hash", SECRET_HASH))
        rotating = build(config, _context(http))
        payment, webhook = await paid(rotating, fake)
    assert parse(rotating, webhook).payment_id == payment.id  # v3, signed with the old hash
    assert rotating.parse_webhook(fake.v4_headers(webhook.body, "hmac"), webhook.body).payment_id == payment.id
    with pytest.raises(InvalidSignature):
        parse(rotating, Webhook(webhook.body, {**webhook.headers, "verif-hash": "neither-hash"}))


async def test_supported_currencies() -> None:
    async with httpx.AsyncClient() as http:
        adapter = build(_config("http://127.0.0.1:9"), _context(http))
    assert all(adapter.supports(Currency(c)) for c in ("NGN", "GHS", "KES", "UGX", "ZAR", "XOF", "USD", "GBP"))
    assert not any(adapter.supports(Currency(c)) for c in ("JPY", "KWD", "BRL"))


# ---- confirm: the API's word, not the webhook's ----------------------------------------------------------------
async def test_confirm_verifies_a_success_with_flutterwaves_numbers(
    provider: PaymentProvider, fake: FakeFlutterwave
) -> None:
    payment, webhook = await paid(provider, fake)
    event = parse(provider, webhook)
    assert (event.action, event.needs_confirmation) == (EventAction.PAYMENT_SUCCEEDED, True)

    confirmed = await provider.confirm(event)

    assert (confirmed.action, confirmed.needs_confirmation) == (EventAction.PAYMENT_SUCCEEDED, False)
    assert (confirmed.payment_id, confirmed.amount, confirmed.currency) == (payment.id, 10_050, "NGN")
    assert [c.path for c in fake.calls("GET")] == [f"/v3/transactions/{event.provider_reference}/verify"]
    assert await provider.confirm(confirmed) is confirmed  # nothing left to confirm: no call


async def test_confirm_a_forged_success_that_the_api_says_failed(
    provider: PaymentProvider, fake: FakeFlutterwave
) -> None:
    payment = new_payment()
    await provider.create_checkout(payment)
    real = parse(provider, fake.pay(payment.id, status="failed", processor_response="Insufficient funds"))
    forged = parse(provider, fake.charge_webhook(int(real.provider_reference or 0), status="successful"))
    assert forged.action is EventAction.PAYMENT_SUCCEEDED

    confirmed = await provider.confirm(forged)

    assert confirmed.action is EventAction.PAYMENT_FAILED
    assert confirmed.reason == "Flutterwave: Insufficient funds"


async def test_confirm_a_real_failure(provider: PaymentProvider, fake: FakeFlutterwave) -> None:
    payment = new_payment()
    await provider.create_checkout(payment)
    confirmed = await provider.confirm(parse(provider, fake.pay(payment.id, status="failed")))
    assert (confirmed.action, confirmed.payment_id, confirmed.currency) == (
        EventAction.PAYMENT_FAILED,
        payment.id,
        "NGN",
    )


async def test_confirm_refuses_an_amount_the_api_does_not_state(
    provider: PaymentProvider, fake: FakeFlutterwave
) -> None:
    payment = new_payment(10_050)
    await provider.create_checkout(payment)
    honest = parse(provider, fake.pay(payment.id, amount=Decimal("50")))  # the customer paid 50.00, not 100.50
    forged = parse(provider, fake.charge_webhook(int(honest.provider_reference or 0), amount=Decimal("100.5")))

    refused = await provider.confirm(forged)
    assert refused.action is EventAction.NONE
    assert "the event says 10050, the API 5000" in (refused.reason or "")
    # the honest event is confirmed with the API's amount, which the handler then finds is not our payment's
    assert (await provider.confirm(honest)).amount == 5_000


async def test_confirm_refuses_a_transaction_of_another_tx_ref(
    provider: PaymentProvider, fake: FakeFlutterwave
) -> None:
    ours, cheap = new_payment(10_050), new_payment(100)
    await provider.create_checkout(ours)
    await provider.create_checkout(cheap)
    cheap_paid = parse(provider, fake.pay(cheap.id))
    forged = fake.charge_webhook(int(cheap_paid.provider_reference or 0), tx_ref=ours.id, amount=Decimal("100.5"))

    refused = await provider.confirm(parse(provider, forged))

    assert refused.action is EventAction.NONE
    assert f"belongs to tx_ref {cheap.id!r}" in (refused.reason or "")


async def test_confirm_refuses_another_currency_and_waits_on_pending(
    provider: PaymentProvider, fake: FakeFlutterwave
) -> None:
    payment = new_payment()
    await provider.create_checkout(payment)
    ghs = parse(provider, fake.pay(payment.id, currency="GHS"))
    claimed_ngn = parse(provider, fake.charge_webhook(int(ghs.provider_reference or 0), currency="NGN"))
    assert (await provider.confirm(claimed_ngn)).action is EventAction.NONE
    pending = parse(provider, fake.pay(payment.id, status="pending"))
    claimed_paid = parse(provider, fake.charge_webhook(int(pending.provider_reference or 0), status="successful"))
    assert (await provider.confirm(claimed_paid)).action is EventAction.NONE
    unknown = parse(provider, fake.charge_webhook(999, tx_ref=payment.id, status="successful", amount=Decimal("100.5"), currency="NGN"))  # fmt: skip
    assert (await provider.confirm(unknown)).action is EventAction.NONE


async def test_confirm_a_v4_event_by_our_reference(provider: PaymentProvider, fake: FakeFlutterwave) -> None:
    payment = new_payment()
    await provider.create_checkout(payment)
    fake.pay(payment.id)
    body = fake.v4_charge(payment.id)
    event = provider.parse_webhook(fake.v4_headers(body, "hmac"), body)

    confirmed = await provider.confirm(event)

    assert (confirmed.action, confirmed.amount, confirmed.currency) == (EventAction.PAYMENT_SUCCEEDED, 10_050, "NGN")
    [lookup] = fake.calls("GET", "verify_by_reference")
    assert lookup.query == f"tx_ref={payment.id}"


async def test_confirm_when_flutterwave_cannot_answer(provider: PaymentProvider, fake: FakeFlutterwave) -> None:
    _, webhook = await paid(provider, fake)
    fake.fail_next(status=502)
    with pytest.raises(ProviderUnavailable):
        await provider.confirm(parse(provider, webhook))


# ---- refunds: once, never retried -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answered", "status"),
    [("pending", RefundStatus.PENDING), ("completed", RefundStatus.SUCCEEDED), ("failed", RefundStatus.FAILED)],
)
async def test_refund_is_sent_once_to_the_numeric_transaction(
    provider: PaymentProvider, fake: FakeFlutterwave, answered: str, status: RefundStatus
) -> None:
    payment, webhook = await paid(provider, fake)
    transaction_id = parse(provider, webhook).provider_reference
    refund = refund_of(payment, 2_500)
    fake.refund_status = answered

    answer = await provider.refund(payment, refund)

    [call] = fake.calls("POST", "/refund")
    assert call.path == f"/v3/transactions/{transaction_id}/refund"
    assert b'"amount":25.00' in call.body
    assert call.json() == {"amount": Decimal("25.00"), "comments": refund.id}
    assert answer.status is status
    assert answer.provider_reference == str(next(iter(fake.refunds)))
    assert (answer.failure_reason is None) == (status is not RefundStatus.FAILED)


@pytest.mark.parametrize("fault", ["slow", 500, 503, 429])
async def test_refund_outcome_unknown_is_unavailable_and_never_resent(
    provider: PaymentProvider, fake: FakeFlutterwave, fault: str | int
) -> None:
    payment, _ = await paid(provider, fake)
    if fault == "slow":
        fake.slow_next(seconds=TIMEOUT * 3, path="/refund")
    else:
        fake.fail_next(status=int(fault), path="/refund")
    with pytest.raises(ProviderUnavailable):
        await provider.refund(payment, refund_of(payment, 2_500))
    assert len(fake.calls("POST", "/refund")) == 1
    assert len(fake.refunds) == (1 if fault == "slow" else 0)  # the slow one did refund: only the answer was lost


async def test_refund_refused_carries_flutterwaves_message(provider: PaymentProvider, fake: FakeFlutterwave) -> None:
    payment, _ = await paid(provider, fake, amount=10_050)
    fake.pay(payment.id, amount=Decimal("10"))  # a second, smaller successful transaction wins the lookup
    with pytest.raises(ProviderError) as raised:
        await provider.refund(payment, refund_of(payment, 5_000))
    assert raised.value.status == 400
    assert raised.value.message == "Refund amount cannot be greater than the transaction amount"
    assert SECRET_KEY not in str(raised.value)


async def test_nothing_to_refund_sends_nothing(provider: PaymentProvider, fake: FakeFlutterwave) -> None:
    payment = new_payment()
    await provider.create_checkout(payment)
    payment.succeed(AT)  # in our books only: Flutterwave never saw a payment
    with pytest.raises(ProviderError, match="nothing to refund"):
        await provider.refund(payment, refund_of(payment, 100))
    fake.pay(payment.id, status="failed")
    with pytest.raises(ProviderError, match="'failed'"):
        await provider.refund(payment, refund_of(payment, 100))
    assert fake.calls("POST", "/refund") == []


async def test_refund_completed_webhook_is_confirmed_and_names_our_refund(
    provider: PaymentProvider, fake: FakeFlutterwave
) -> None:
    payment, _ = await paid(provider, fake)
    refund = refund_of(payment, 2_550)
    fake.refund_status = "pending"
    answer = await provider.refund(payment, refund)
    event = parse(provider, fake.complete_refund(int(answer.provider_reference)))
    assert (event.action, event.needs_confirmation, event.payment_id) == (EventAction.REFUND_SUCCEEDED, True, None)

    confirmed = await provider.confirm(event)

    assert confirmed.action is EventAction.REFUND_SUCCEEDED
    assert (confirmed.payment_id, confirmed.refund_id) == (payment.id, refund.id)
    assert (confirmed.amount, confirmed.currency) == (2_550, "NGN")
    failed = await provider.confirm(parse(provider, fake.complete_refund(int(answer.provider_reference), "failed")))
    assert failed.action is EventAction.REFUND_FAILED


# ---- lookups (janitor, reconciliation) --------------------------------------------------------------------------
async def test_lookup_payment(provider: PaymentProvider, fake: FakeFlutterwave) -> None:
    payment = new_payment()
    await provider.create_checkout(payment)
    assert await provider.lookup_payment(payment) is None  # nobody tried to pay yet
    fake.pay(payment.id, status="failed")
    failed = await provider.lookup_payment(payment)
    assert failed is not None
    assert (failed.action, failed.payment_id) == (EventAction.PAYMENT_FAILED, payment.id)
    webhook = fake.pay(payment.id)  # the customer tried again and paid
    succeeded = await provider.lookup_payment(payment)
    assert succeeded is not None
    assert (succeeded.action, succeeded.amount, succeeded.currency) == (EventAction.PAYMENT_SUCCEEDED, 10_050, "NGN")
    assert succeeded.event_id == parse(provider, webhook).event_id  # the same key as the webhook's


async def test_lookup_refund(provider: PaymentProvider, fake: FakeFlutterwave) -> None:
    payment, _ = await paid(provider, fake)
    refund = refund_of(payment, 3_000)
    assert await provider.lookup_refund(payment, refund) is None  # no Flutterwave id: nothing to ask about
    fake.refund_status = "pending"
    payment.mark_refund_submitted(refund.id, (await provider.refund(payment, refund)).provider_reference, AT)
    assert await provider.lookup_refund(payment, refund) is None  # still pending
    fake.complete_refund(int(refund.provider_reference or 0))
    settled = await provider.lookup_refund(payment, refund)
    assert settled is not None
    assert (settled.action, settled.refund_id, settled.payment_id) == (
        EventAction.REFUND_SUCCEEDED,
        refund.id,
        payment.id,
    )
    assert (settled.amount, settled.currency) == (3_000, "NGN")
    fake.fail_next(status=503)
    with pytest.raises(ProviderUnavailable):
        await provider.lookup_refund(payment, refund)
