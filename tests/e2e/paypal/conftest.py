"""The PayPal e2e flows' fixtures: one fake PayPal per module, swapped for a fresh one before each test, and the
service configured for it (service.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.paypal.service import serve_paypal
from tests.provider_fakes.paypal import FakePayPal, Swappable
from tests.provider_fakes.server import running


@pytest.fixture(scope="module")
def paypal_server() -> Iterator[tuple[Swappable, str]]:
    swappable = Swappable(FakePayPal())
    with running(swappable) as url:
        yield swappable, url


@pytest.fixture
def paypal(paypal_server: tuple[Swappable, str]) -> FakePayPal:
    paypal_server[0].app = FakePayPal()
    return paypal_server[0].app


@pytest.fixture
def server(
    database_url: str, api_keys: dict[str, str], paypal_server: tuple[Swappable, str], paypal: FakePayPal
) -> Iterator[LiveServer]:
    yield from serve_paypal(database_url, api_keys, paypal_server[1])
