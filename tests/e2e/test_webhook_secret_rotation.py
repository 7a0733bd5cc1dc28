"""Webhook secrets while they are rotated, end to end on SQLite and on Postgres: each provider's variable set to
`new,old` (read by the provider's own configuration reader), a webhook signed with the old secret and one signed
with the new are both applied through the webhook route, and one signed with a secret we never had is refused
with nothing stored. Stripe's is in test_stripe_flow.py; Mollie's webhooks are unsigned (its key rotation:
tests/integration/providers/test_mollie_key_rotation.py); our own callback secret:
tests/integration/worker/test_callback_secret_rotation.py."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infrastructure.providers import catalogue
from infrastructure.providers.signing import sign
from tests.e2e.conftest import LiveServer, serve
from tests.e2e.webhook_refusals import assert_refused
from tests.provider_fakes.flutterwave import FakeFlutterwave
from tests.provider_fakes.paystack import FakePaystack
from tests.provider_fakes.server import running

PAYSTACK_NEW, PAYSTACK_OLD, PAYSTACK_NEVER = ("sk_test_" + digit * 40 for digit in "abc")
FLUTTERWAVE_NEW, FLUTTERWAVE_OLD, FLUTTERWAVE_NEVER = (f"flw-hash-{name}-0123456789" for name in ("new", "old", "x"))
SIMULATOR_NEW, SIMULATOR_OLD, SIMULATOR_NEVER = (f"whsec_sim_{name}_" + "7" * 24 for name in ("new", "old", "x"))


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakePaystack, str, FakeFlutterwave, str]]:
    paystack, flutterwave = FakePaystack(secret_key=PAYSTACK_NEW), FakeFlutterwave()
    with running(paystack) as paystack_url, running(flutterwave) as flutterwave_url:
        yield paystack, paystack_url, flutterwave, flutterwave_url


@pytest.fixture
def server(
    database_url: str, api_keys: dict[str, str], fakes: tuple[FakePaystack, str, FakeFlutterwave, str]
) -> Iterator[LiveServer]:
    paystack, paystack_url, flutterwave, flutterwave_url = fakes
    paystack.reset()
    flutterwave.reset()
    environ = {
        "PAYMENTS_PAYSTACK_SECRET_KEY": f"{PAYSTACK_NEW},{PAYSTACK_OLD}",
        "PAYMENTS_PAYSTACK_API_BASE": paystack_url,
        "PAYMENTS_FLUTTERWAVE_SECRET_KEY": flutterwave.secret_key,
        "PAYMENTS_FLUTTERWAVE_SECRET_HASH": f" {FLUTTERWAVE_NEW} , {FLUTTERWAVE_OLD} ",
        "PAYMENTS_FLUTTERWAVE_API_BASE": flutterwave_url,
        "PAYMENTS_SIMULATOR_WEBHOOK_SECRET": f"{SIMULATOR_NEW},{SIMULATOR_OLD}",
    }
    configs: dict[str, Any] = {}
    for name in ("paystack", "flutterwave", "simulator"):
        plugin = catalogue.plugin(name)
        assert plugin is not None
        configs[name], problems = plugin.read_config(environ)
        assert problems == []
    yield from serve(
        database_url,
        api_keys,
        providers=("simulator", "paystack", "flutterwave"),
        provider_timeout_seconds=2,
        **configs,
    )


def checkout(s: LiveServer, provider: str, currency: str = "NGN") -> dict[str, Any]:
    created = s.checkout(f"order-{provider}-{uuid.uuid4().hex[:8]}", 10_000, currency, provider=provider)
    assert created.status_code == 201, created.text
    payment: dict[str, Any] = created.json()
    return payment


def post(s: LiveServer, provider: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return s.http.post(f"/api/v1/webhooks/{provider}", content=body, headers=headers)


def test_paystack_old_and_new_secret_keys(server: LiveServer, fakes: tuple[Any, ...]) -> None:
    paystack: FakePaystack = fakes[0]
    for key in (PAYSTACK_OLD, PAYSTACK_NEW):
        payment = checkout(server, "paystack")  # the API is called with the first key, which Paystack takes
        paystack.pay(payment["provider_reference"])
        body = paystack.charge_success(payment["provider_reference"])
        assert post(server, "paystack", body, paystack.headers(body, key)).status_code == 200
        assert server.payment(payment["id"])["status"] == "succeeded"
    payment = checkout(server, "paystack")
    paystack.pay(payment["provider_reference"])
    body = paystack.charge_success(payment["provider_reference"])
    assert_refused(post(server, "paystack", body, paystack.headers(body, PAYSTACK_NEVER)), "invalid-signature")
    assert server.payment(payment["id"])["status"] == "processing"


def test_flutterwave_old_and_new_secret_hashes(server: LiveServer, fakes: tuple[Any, ...]) -> None:
    flutterwave: FakeFlutterwave = fakes[2]
    for secret_hash in (FLUTTERWAVE_OLD, FLUTTERWAVE_NEW):
        payment = checkout(server, "flutterwave")
        paid = flutterwave.pay(payment["provider_reference"])
        webhook = flutterwave.charge_webhook(json.loads(paid.body)["data"]["id"], secret_hash=secret_hash)
        assert post(server, "flutterwave", webhook.body, webhook.headers).status_code == 200
        assert server.payment(payment["id"])["status"] == "succeeded"
    payment = checkout(server, "flutterwave")
    paid = flutterwave.pay(payment["provider_reference"])
    forged = flutterwave.charge_webhook(json.loads(paid.body)["data"]["id"], secret_hash=FLUTTERWAVE_NEVER)
    assert_refused(post(server, "flutterwave", forged.body, forged.headers), "invalid-signature")
    assert server.payment(payment["id"])["status"] == "processing"


def test_simulator_old_and_new_webhook_secrets(server: LiveServer) -> None:
    def signed(payment: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
        data = {"payment_id": payment["id"], "amount": 10_000, "currency": "USD"}
        now = int(time.time())
        event = {"id": f"evt_{uuid.uuid4().hex}", "type": "payment.succeeded", "created": now, "data": data}
        body = json.dumps(event).encode()
        return body, {"Content-Type": "application/json", "Simulator-Signature": sign(secret, body, now)}

    for secret in (SIMULATOR_OLD, SIMULATOR_NEW):
        payment = checkout(server, "simulator", "USD")
        assert post(server, "simulator", *signed(payment, secret)).status_code == 200
        assert server.payment(payment["id"])["status"] == "succeeded"
    payment = checkout(server, "simulator", "USD")
    assert_refused(post(server, "simulator", *signed(payment, SIMULATOR_NEVER)), "invalid-signature")
    assert server.payment(payment["id"])["status"] == "processing"
