"""The readiness rules without a server: which provider configurations are incomplete, which checks fail."""

from __future__ import annotations

import pytest

from infrastructure.providers.flutterwave.config import FlutterwaveConfig
from infrastructure.providers.paypal.config import PayPalConfig
from infrastructure.providers.paystack.config import PaystackConfig
from infrastructure.providers.simulator.config import SimulatorConfig
from infrastructure.providers.stripe.config import StripeConfig
from interfaces.http.readiness import failures, provider_configuration_problems
from interfaces.http.schemas.operations import ReadinessChecks
from tests.provider_settings import settings_with

COMPLETE = settings_with(
    providers=("stripe", "paystack", "flutterwave", "paypal", "simulator"),
    stripe=StripeConfig(secret_key="sk", webhook_secrets=("whsec",)),
    paystack=PaystackConfig(secret_keys=("sk",)),
    flutterwave=FlutterwaveConfig(secret_key="sk", secret_hashes=("hash",)),
    paypal=PayPalConfig(client_id="id", client_secret="secret", webhook_id="WH-1"),
)


@pytest.mark.parametrize("provider", COMPLETE.providers)
def test_a_complete_configuration_has_no_problems(provider: str) -> None:
    assert provider_configuration_problems(COMPLETE, provider) == []


@pytest.mark.parametrize(
    ("changes", "provider", "expected"),
    [
        ({"stripe": StripeConfig()}, "stripe", [
            "PAYMENTS_STRIPE_SECRET_KEY is not set", "PAYMENTS_STRIPE_WEBHOOK_SECRETS is not set"
        ]),
        ({"flutterwave": FlutterwaveConfig(secret_key="sk", secret_hashes=("hash",), api_base="api.flutterwave.com")},
         "flutterwave", ["PAYMENTS_FLUTTERWAVE_API_BASE is not an http(s) URL"]),
        ({"paypal": PayPalConfig(client_id="id", client_secret="secret", webhook_id="WH-1", webhook_verification="none")},
         "paypal", ["PAYMENTS_PAYPAL_WEBHOOK_VERIFICATION must be offline or postback"]),
        ({"simulator": SimulatorConfig(webhook_secrets=("",))}, "simulator", [
            "PAYMENTS_SIMULATOR_WEBHOOK_SECRET is empty"
        ]),
        ({"public_url": "payments.example"}, "simulator", ["PAYMENTS_PUBLIC_URL is not an http(s) URL"]),
        ({}, "acme", ["not implemented by this version"]),
    ],
)  # fmt: skip
def test_incomplete_configurations_are_named(changes: dict[str, object], provider: str, expected: list[str]) -> None:
    assert provider_configuration_problems(settings_with(COMPLETE, **changes), provider) == expected


def checks(**changes: object) -> ReadinessChecks:
    values: dict[str, object] = {
        "database": "ok",
        "migrations": "ok",
        "broker": "not configured",
        "providers": {"stripe": "ok"},
    }
    return ReadinessChecks(**(values | changes))  # type: ignore[arg-type]


def test_failures_name_each_failing_check_and_nothing_else() -> None:
    assert failures(checks()) == ""
    assert failures(checks(broker="ok", providers={"stripe": "circuit open, retry in 3 s"})) == ""
    assert failures(checks(database="failed: OSError", migrations="unknown")) == (
        "database: failed: OSError; migrations: unknown"
    )
    assert failures(checks(broker="failed: connection refused")) == "broker: failed: connection refused"
    assert failures(checks(providers={"stripe": "ok", "paypal": "failed: PAYMENTS_PAYPAL_WEBHOOK_ID is not set"})) == (
        "providers: paypal: failed: PAYMENTS_PAYPAL_WEBHOOK_ID is not set"
    )
    assert failures(checks(providers={})) == "providers: none enabled"
