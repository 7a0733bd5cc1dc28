"""The service configured for Paystack against a fake Paystack, as the Paystack e2e flows use it: one fake per
module (reset for each test), a provider timeout of 1 s so a slow fake is a timeout, and delivery of the fake's
signed webhooks to the service's webhook route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infrastructure.providers.paystack.config import PaystackConfig
from tests.e2e.conftest import LiveServer, serve
from tests.provider_fakes.paystack import SECRET_KEY, FakePaystack
from tests.provider_fakes.server import running

SLOW = 1.25  # seconds: longer than the service's provider timeout (1 s)


@pytest.fixture(scope="module")
def paystack_server() -> Iterator[tuple[FakePaystack, str]]:
    fake = FakePaystack()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
def paystack(paystack_server: tuple[FakePaystack, str]) -> FakePaystack:
    paystack_server[0].reset()
    return paystack_server[0]


@pytest.fixture
def server(
    database_url: str, api_keys: dict[str, str], paystack_server: tuple[FakePaystack, str]
) -> Iterator[LiveServer]:
    yield from serve(
        database_url,
        api_keys,
        providers=("paystack",),
        paystack=PaystackConfig(secret_keys=(SECRET_KEY,), api_base=paystack_server[1]),
        provider_timeout_seconds=1,
    )


def webhook(s: LiveServer, paystack: FakePaystack, body: bytes) -> dict[str, Any]:
    delivered = paystack.deliver(f"{s.base_url}/api/v1/webhooks/paystack", body)
    assert delivered.status_code == 200, delivered.text
    answer: dict[str, Any] = delivered.json()
    return answer
