"""Failover over real HTTP, on SQLite and Postgres: Paystack times out at checkout, Flutterwave takes the NGN
checkout in the same request, and every payment view says which providers were tried."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infrastructure.providers.flutterwave.config import FlutterwaveConfig
from infrastructure.providers.paystack.config import PaystackConfig
from tests.e2e.conftest import LiveServer, serve
from tests.provider_fakes import flutterwave, paystack
from tests.provider_fakes.server import running


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[paystack.FakePaystack, str, str]]:
    ps, fw = paystack.FakePaystack(), flutterwave.FakeFlutterwave()
    with running(ps) as ps_url, running(fw) as fw_url:
        yield ps, ps_url, fw_url


@pytest.fixture
def server(
    database_url: str, api_keys: dict[str, str], fakes: tuple[paystack.FakePaystack, str, str]
) -> Iterator[LiveServer]:
    ps, ps_url, fw_url = fakes
    ps.reset()
    yield from serve(
        database_url,
        api_keys,
        providers=("paystack", "flutterwave"),
        paystack=PaystackConfig(secret_keys=(paystack.SECRET_KEY,), api_base=ps_url),
        flutterwave=FlutterwaveConfig(
            secret_key=flutterwave.SECRET_KEY, secret_hashes=(flutterwave.SECRET_HASH,), api_base=fw_url
        ),
        provider_timeout_seconds=1,
    )


def test_a_timed_out_provider_is_followed_by_the_next_and_the_views_say_so(
    server: LiveServer, fakes: tuple[paystack.FakePaystack, str, str]
) -> None:
    fakes[0].delay(1.25, path="/transaction/initialize")

    created = server.checkout("order-failover", 50_000, "NGN")

    assert created.status_code == 201, created.text
    payment = created.json()
    assert (payment["provider"], payment["providers_tried"]) == ("flutterwave", ["paystack", "flutterwave"])
    shown = server.payment(payment["id"])
    assert (shown["provider"], shown["providers_tried"]) == ("flutterwave", ["paystack", "flutterwave"])
    events = server.get(f"/api/v1/payments/{payment['id']}/events", key="orders").json()["data"]
    assert [e["type"] for e in events] == [
        "payment.initiated",
        "payment.rerouted",
        "payment.checkout_session_created",
    ]


def test_an_explicit_preference_is_answered_503_and_not_swapped(
    server: LiveServer, fakes: tuple[paystack.FakePaystack, str, str]
) -> None:
    fakes[0].delay(1.25, path="/transaction/initialize")

    refused = server.checkout("order-pinned", 50_000, "NGN", provider="paystack")

    assert refused.status_code == 503, refused.text
    assert refused.json()["type"].endswith("/problems/provider-unavailable")
    status = server.get("/api/v1/orders/order-pinned/payment-status", key="orders").json()
    assert (status["provider"], status["status"]) == ("paystack", "processing")
