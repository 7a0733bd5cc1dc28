"""The service configured for Mollie against a fake Mollie, as the Mollie e2e flows use it: one fake per module
(reset for each test) and a provider timeout of 1 s, so a slow fake is a timeout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infrastructure.providers.mollie.config import MollieConfig
from tests.e2e.conftest import LiveServer, serve
from tests.provider_fakes.mollie import API_KEY, FakeMollie
from tests.provider_fakes.server import running


@pytest.fixture(scope="module")
def mollie_server() -> Iterator[tuple[FakeMollie, str]]:
    fake = FakeMollie()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
def mollie(mollie_server: tuple[FakeMollie, str]) -> FakeMollie:
    mollie_server[0].reset()
    return mollie_server[0]


@pytest.fixture
def server(database_url: str, api_keys: dict[str, str], mollie_server: tuple[FakeMollie, str]) -> Iterator[LiveServer]:
    yield from serve(
        database_url,
        api_keys,
        providers=("mollie",),
        mollie=MollieConfig(api_keys=(API_KEY,), api_base=mollie_server[1]),
        provider_timeout_seconds=1,
    )
