"""Mollie's API keys while one is rotated (`PAYMENTS_MOLLIE_API_KEY=new,old`), against the fake Mollie.

Mollie's webhooks are unsigned: what vouches for one is that our key fetches the payment it names. Every call is
made with the first key; a 401 (that key is not valid at Mollie) or a 404 (made under another key) is the same
call with the next key, because Mollie did nothing; any other answer ends it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from application.data.provider_news import EventAction
from application.errors import ProviderError, ProviderUnavailable
from domain.payments.payment import CheckoutDetails, Payment
from domain.shared.money import Money
from infrastructure.clock import SystemClock
from infrastructure.providers.mollie.adapter import MolliePaymentProvider
from infrastructure.providers.mollie.config import MollieConfig
from tests.provider_fakes.mollie import FakeMollie
from tests.provider_fakes.server import running

OLD = "test_OldKeyOldKeyOldKeyOldKeyOld000"
NEW = "test_NewKeyNewKeyNewKeyNewKeyNew111"
UNKNOWN = "test_NobodysKeyNobodysKeyNobodys22"
AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeMollie, str]]:
    fake = FakeMollie()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
async def http(server: tuple[FakeMollie, str]) -> AsyncIterator[httpx.AsyncClient]:
    server[0].reset()
    async with httpx.AsyncClient() as client:
        yield client


def mollie(http: httpx.AsyncClient, url: str, *keys: str) -> MolliePaymentProvider:
    return MolliePaymentProvider(MollieConfig(keys, api_base=url), "https://payments.example", http, SystemClock())


async def paid_at_mollie(fake: FakeMollie, provider: MolliePaymentProvider, order_id: str) -> Payment:
    payment = Payment.initiate(f"pay_{order_id}", order_id, Money.of(1999, "EUR"), "mollie", CheckoutDetails(), AT)
    session = await provider.create_checkout(payment)
    payment.attach_checkout_session(session.provider_reference, session.checkout_url, session.expires_at, AT)
    fake.set_payment_status(session.provider_reference, "paid")
    return payment


def keys_used(fake: FakeMollie) -> list[str]:
    return [call.headers["authorization"].removeprefix("Bearer ") for call in fake.calls]


@pytest.mark.parametrize("valid_at_mollie", [OLD, NEW], ids=["before-the-switch", "after-the-switch"])
async def test_a_webhook_is_verified_with_the_old_key_and_with_the_new(
    server: tuple[FakeMollie, str], http: httpx.AsyncClient, valid_at_mollie: str
) -> None:
    fake, url = server
    fake.api_keys = {valid_at_mollie}
    rotating = mollie(http, url, NEW, OLD)

    payment = await paid_at_mollie(fake, rotating, "order-rotating")
    [event] = await rotating.events_for(payment)  # what a webhook naming the payment makes us fetch

    assert (event.action, event.payment_id) == (EventAction.PAYMENT_SUCCEEDED, payment.id)
    # the first key is always tried first; the old one only after Mollie refused the new one
    expected = [NEW] if valid_at_mollie == NEW else [NEW, OLD]
    assert keys_used(fake) == expected * 3  # the checkout, then the payment and its refunds fetched


async def test_with_no_valid_key_the_webhook_is_refused(
    server: tuple[FakeMollie, str], http: httpx.AsyncClient
) -> None:
    fake, url = server
    fake.api_keys = {OLD}
    payment = await paid_at_mollie(fake, mollie(http, url, OLD), "order-unknown-key")
    fake.calls.clear()

    with pytest.raises(ProviderError) as refused:
        await mollie(http, url, UNKNOWN, NEW).events_for(payment)

    assert refused.value.status == 401
    assert keys_used(fake) == [UNKNOWN, NEW]
    assert "Nobodys" not in str(refused.value)
    assert "NewKey" not in str(refused.value)


async def test_an_answer_that_is_not_a_refusal_never_tries_another_key(
    server: tuple[FakeMollie, str], http: httpx.AsyncClient
) -> None:
    fake, url = server
    fake.api_keys = {NEW, OLD}
    rotating = mollie(http, url, NEW, OLD)
    payment = await paid_at_mollie(fake, rotating, "order-mollie-down")
    fake.calls.clear()
    fake.fail(503, "get_payment")

    with pytest.raises(ProviderUnavailable):
        await rotating.events_for(payment)
    assert keys_used(fake) == [NEW]
