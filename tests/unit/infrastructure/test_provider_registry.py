"""Routing rules of the provider registry, as one table, with stand-in providers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx
import pytest

from application.errors import ProviderNotEnabled, UnknownProvider, UnsupportedCurrency
from application.ports.payment_provider import CheckoutSession, PaymentProvider, ProviderEvent, ProviderRefund
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.shared.money import Currency
from infrastructure.clock import SystemClock
from infrastructure.providers.registry import ProviderRegistry, build_provider_registry
from infrastructure.providers.simulator import SimulatorPaymentProvider
from infrastructure.settings import Settings, SettingsError


@dataclass
class StubProvider:
    """Only `name` and `supports` matter to routing."""

    name: str
    currencies: frozenset[str]

    def supports(self, currency: Currency) -> bool:
        return currency.code in self.currencies

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        raise NotImplementedError

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        raise NotImplementedError

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        raise NotImplementedError


def _registry() -> ProviderRegistry:
    providers: list[PaymentProvider] = [
        StubProvider("paystack", frozenset({"NGN", "GHS"})),
        StubProvider("stripe", frozenset({"USD", "EUR", "NGN"})),
    ]
    return ProviderRegistry(providers)


@pytest.mark.parametrize(
    ("preference", "currency", "expected"),
    [
        (None, "NGN", "paystack"),  # first in configured order that supports it
        (None, "USD", "stripe"),  # the first cannot take USD: the next can
        ("stripe", "NGN", "stripe"),  # a preference wins over order
        ("paystack", "GHS", "paystack"),
        (None, "JPY", UnsupportedCurrency),  # nobody takes it
        ("paystack", "USD", UnsupportedCurrency),  # the preference cannot take it: never silently swapped
        ("paypal", "USD", ProviderNotEnabled),  # known to the product, not enabled here
        ("nonsense", "USD", ProviderNotEnabled),
    ],
)
def test_choose(preference: str | None, currency: str, expected: str | type[Exception]) -> None:
    registry = _registry()
    if isinstance(expected, str):
        assert registry.choose(preference, Currency(currency)).name == expected
    else:
        with pytest.raises(expected):
            registry.choose(preference, Currency(currency))


def test_get_and_names() -> None:
    registry = _registry()
    assert registry.get("stripe").name == "stripe"
    assert registry.names() == ["paystack", "stripe"]
    with pytest.raises(UnknownProvider):
        registry.get("simulator")


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="share a name"):
        ProviderRegistry([StubProvider("a", frozenset()), StubProvider("a", frozenset())])


async def test_build_from_settings_uses_the_simulator() -> None:
    async with httpx.AsyncClient() as http:
        simulator = SimulatorPaymentProvider("http://127.0.0.1:1", "whsec_x", 0, http, SystemClock())
        registry = build_provider_registry(Settings(providers=("simulator",)), simulator)
        assert registry.get("simulator") is simulator
        assert registry.choose(None, Currency("KWD")) is simulator  # the simulator takes every currency


async def test_build_reports_every_provider_not_implemented_yet() -> None:
    async with httpx.AsyncClient() as http:
        simulator = SimulatorPaymentProvider("http://127.0.0.1:1", "whsec_x", 0, http, SystemClock())
        with pytest.raises(SettingsError) as caught:
            build_provider_registry(Settings(providers=("simulator", "stripe", "paypal")), simulator)
    assert caught.value.problems == [
        "PAYMENTS_PROVIDERS names stripe, which this version does not implement yet",
        "PAYMENTS_PROVIDERS names paypal, which this version does not implement yet",
    ]
