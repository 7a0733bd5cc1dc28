"""Paystack's secret key while it is rotated (`PAYMENTS_PAYSTACK_SECRET_KEY=new,old`), against the fake Paystack.

Paystack signs webhooks with the API secret key, so one list serves both: every key verifies a webhook, and
calls are made with the first key, then with the next only when Paystack refused the key itself (401), which
means it did nothing. A webhook signed with a key we do not hold is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from application.errors import InvalidSignature, ProviderError
from application.ports.payment_provider import PaymentProvider
from domain.payments.payment import CheckoutDetails, Payment
from domain.shared.money import Money
from infrastructure.ids import SortableIdGenerator
from infrastructure.providers.paystack.config import PaystackConfig
from infrastructure.providers.paystack.wiring import build
from tests.provider_fakes.paystack import FakePaystack
from tests.provider_fakes.server import running
from tests.provider_settings import provider_context

OLD, NEW, UNKNOWN = ("sk_test_" + digit * 40 for digit in "012")
AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
ids = SortableIdGenerator()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakePaystack, str]]:
    fake = FakePaystack()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
async def http(server: tuple[FakePaystack, str]) -> AsyncIterator[httpx.AsyncClient]:
    server[0].reset()
    async with httpx.AsyncClient() as client:
        yield client


def paystack(http: httpx.AsyncClient, url: str, *keys: str) -> PaymentProvider:
    return build(PaystackConfig(secret_keys=keys, api_base=url), provider_context(http, timeout_seconds=2))


def payment(order_id: str) -> Payment:
    return Payment.initiate(ids.new("pay"), order_id, Money.of(5_000, "NGN"), "paystack", CheckoutDetails(), AT)


@pytest.mark.parametrize("at_paystack", [OLD, NEW], ids=["before-the-roll", "after-the-roll"])
async def test_webhooks_signed_with_the_old_and_the_new_key_pass_and_calls_follow_paystack(
    server: tuple[FakePaystack, str], http: httpx.AsyncClient, at_paystack: str
) -> None:
    fake, url = server
    fake.secret_key = at_paystack
    rotating = paystack(http, url, NEW, OLD)

    session = await rotating.create_checkout(payment(f"order-{at_paystack[-1]}"))  # 401 with NEW → OLD
    fake.pay(session.provider_reference)
    body = fake.charge_success(session.provider_reference)

    for key in (NEW, OLD):
        assert rotating.parse_webhook(fake.headers(body, key), body).event_type == "charge.success"
    with pytest.raises(InvalidSignature):
        rotating.parse_webhook(fake.headers(body, UNKNOWN), body)
    initialized = fake.calls_to("POST", "/transaction/initialize")
    assert len(initialized) == (1 if at_paystack == NEW else 2)  # the first refused with 401: nothing was made
    assert len(fake.transactions) == 1


async def test_with_no_key_paystack_accepts_the_call_is_refused(
    server: tuple[FakePaystack, str], http: httpx.AsyncClient
) -> None:
    fake, url = server
    fake.secret_key = OLD
    with pytest.raises(ProviderError) as refused:
        await paystack(http, url, UNKNOWN, NEW).create_checkout(payment("order-no-key"))
    assert (refused.value.status, refused.value.message) == (401, "Invalid key")
    assert len(fake.calls_to("POST", "/transaction/initialize")) == 2
    assert fake.transactions == {}


async def test_a_refusal_that_is_not_about_the_key_is_never_repeated(
    server: tuple[FakePaystack, str], http: httpx.AsyncClient
) -> None:
    fake, url = server
    fake.secret_key = NEW
    rotating = paystack(http, url, NEW, OLD)
    first = payment("order-duplicate")
    await rotating.create_checkout(first)
    fake.fail(400, path="/transaction/initialize", calls=5)
    with pytest.raises(ProviderError) as refused:
        await rotating.create_checkout(payment("order-other"))
    assert refused.value.status == 400
    assert len(fake.calls_to("POST", "/transaction/initialize")) == 2  # one each: never again with OLD
