"""`pulled_event`: Stripe's own copy of an event pulled earlier, read again by id (`GET /v1/events/{id}`), what
vouches for a stored pulled event when it is retried (it has no signature)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from application.errors import ProviderUnavailable
from application.ports.payment_provider import PaymentProvider
from tests.integration.providers.stripe_support import checked_out, make_provider, new_payment
from tests.provider_fakes.server import running
from tests.provider_fakes.stripe import FakeStripe


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def fake_url(fake: FakeStripe) -> Iterator[str]:
    with running(fake) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def provider(fake: FakeStripe, fake_url: str, http: httpx.AsyncClient) -> PaymentProvider:
    return make_provider(fake, fake_url, http)


async def test_an_event_is_read_again_by_its_id_and_translated_like_its_webhook(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    payment = new_payment()
    session = await checked_out(provider, payment)
    completed, _ = fake.pay(session.provider_reference)

    pulled = await provider.pulled_event(completed.id)

    assert pulled is not None
    as_webhook = provider.parse_webhook({"Stripe-Signature": fake.signature(completed.body)}, completed.body)
    assert pulled.event == as_webhook
    assert json.loads(pulled.body) == json.loads(completed.body)
    [read] = fake.received("GET", f"/v1/events/{completed.id}")
    assert read.headers["authorization"] == f"Bearer {fake.secret_key}"


async def test_an_event_stripe_no_longer_has_is_none(provider: PaymentProvider) -> None:
    assert await provider.pulled_event("evt_gone_after_30_days") is None


async def test_stripe_down_is_unavailable(provider: PaymentProvider, fake: FakeStripe) -> None:
    fake.fail_next(500, path="/v1/events/")
    with pytest.raises(ProviderUnavailable):
        await provider.pulled_event("evt_any")
