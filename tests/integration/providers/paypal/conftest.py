"""Fixtures of the PayPal adapter tests: one fake PayPal server per module (each test gets a fresh fake), an
HTTP client, a clock, and the adapter built as production builds it, trusting only the fake's test root."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from infrastructure.providers.paypal.adapter import PayPalPaymentProvider
from infrastructure.providers.paypal.cert_sources import HttpCertificateSource
from infrastructure.providers.paypal.certificates import PayPalCertificates
from tests.integration.providers.paypal.support import build, paypal_config
from tests.provider_fakes.paypal import FakePayPal, Swappable, redirecting_transport
from tests.provider_fakes.server import running
from tests.unit.fakes import FakeClock


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Swappable, str]]:
    """One server for the module (starting one takes longer than most tests); each test gets a fresh fake."""
    swappable = Swappable(FakePayPal())
    with running(swappable) as url:
        yield swappable, url


@pytest.fixture
def fake(server: tuple[Swappable, str]) -> FakePayPal:
    server[0].app = FakePayPal(token_lifetime=3600)
    return server[0].app


@pytest.fixture
def fake_url(server: tuple[Swappable, str], fake: FakePayPal) -> str:
    return server[1]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
async def certificates(fake: FakePayPal, fake_url: str, clock: FakeClock) -> AsyncIterator[PayPalCertificates]:
    """Production's certificate source and URL rules; only the network route and the trusted root are the test's."""
    async with httpx.AsyncClient(transport=redirecting_transport(fake_url)) as to_fake:
        yield PayPalCertificates(HttpCertificateSource(to_fake, 3.0), clock, lambda: [fake.pki.root])


@pytest.fixture
def paypal(
    fake_url: str, http: httpx.AsyncClient, clock: FakeClock, certificates: PayPalCertificates
) -> PayPalPaymentProvider:
    return build(paypal_config(fake_url), http, clock, certificates=certificates)
