"""Routing rules of the provider registry, as one table, with stand-in providers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from application.data.provider_news import CheckoutSession, ProviderEvent, ProviderRefund
from application.errors import (
    ProviderError,
    ProviderNotEnabled,
    ProviderUnavailable,
    UnknownProvider,
    UnsupportedCurrency,
)
from application.ports.payment_provider import PaymentProvider
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import Refund
from domain.shared.money import Currency, Money
from infrastructure.clock import SystemClock
from infrastructure.providers.circuit_breaker import CircuitBreaker
from infrastructure.providers.guarded_provider import GuardedProvider
from infrastructure.providers.registry import ProviderRegistry, build_provider_registry
from infrastructure.providers.simulator.adapter import SimulatorPaymentProvider
from infrastructure.settings import Settings
from tests.provider_settings import provider_context


@dataclass
class StubProvider:
    """Only `name` and `supports` matter to routing; `checkout_behaviour` drives the breaker tests."""

    name: str
    currencies: frozenset[str]
    checkout_behaviour: Exception | float | None = None  # raise it, or sleep that long
    supports_manual_capture: bool = False

    def supports(self, currency: Currency) -> bool:
        return currency.code in self.currencies

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        if isinstance(self.checkout_behaviour, Exception):
            raise self.checkout_behaviour
        if isinstance(self.checkout_behaviour, float):
            await asyncio.sleep(self.checkout_behaviour)
        return CheckoutSession(f"cs_{payment.id}", "https://pay.example/cs", None)

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        raise NotImplementedError

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        raise NotImplementedError


class Ticking:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guard(provider: PaymentProvider, clock: Ticking | None = None, timeout: float = 5.0) -> GuardedProvider:
    breaker = CircuitBreaker(failure_threshold=2, reset_after=30, monotonic=clock or Ticking())
    return GuardedProvider(provider, breaker, timeout)


def _registry() -> ProviderRegistry:
    return ProviderRegistry(
        [
            guard(StubProvider("paystack", frozenset({"NGN", "GHS"}))),
            guard(StubProvider("stripe", frozenset({"USD", "EUR", "NGN"}))),
        ]
    )


def a_payment() -> Payment:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    return Payment.initiate("pay_1", "order-1", Money.of(1000, "NGN"), "paystack", CheckoutDetails(), now)


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
        ProviderRegistry([guard(StubProvider("a", frozenset())), guard(StubProvider("a", frozenset()))])


async def test_a_provider_that_keeps_failing_is_skipped_until_it_recovers() -> None:
    clock = Ticking()
    down = StubProvider("paystack", frozenset({"NGN"}), ProviderUnavailable("paystack", "connect refused"))
    registry = ProviderRegistry([guard(down, clock), guard(StubProvider("stripe", frozenset({"NGN"})), clock)])
    for _ in range(2):  # the threshold
        with pytest.raises(ProviderUnavailable):
            await registry.get("paystack").create_checkout(a_payment())

    assert registry.choose(None, Currency("NGN")).name == "stripe"  # skipped for new checkouts
    with pytest.raises(ProviderUnavailable) as fast:  # fails fast while open, without calling it
        await registry.get("paystack").create_checkout(a_payment())
    assert fast.value.retry_after == 30
    with pytest.raises(ProviderUnavailable):  # asked for by name while open: 503, never swapped
        registry.choose("paystack", Currency("NGN"))

    clock.now += 31  # half-open: one trial call decides
    down.checkout_behaviour = None
    assert registry.choose(None, Currency("NGN")).name == "paystack"
    await registry.get("paystack").create_checkout(a_payment())
    assert not registry.get("paystack").breaker.is_open


async def test_when_every_candidate_is_down_the_answer_is_unavailable_with_retry_after() -> None:
    clock = Ticking()
    error = ProviderUnavailable("x", "down")
    registry = ProviderRegistry(
        [
            guard(StubProvider("paystack", frozenset({"NGN"}), error), clock),
            guard(StubProvider("stripe", frozenset({"NGN"}), error), clock),
        ]
    )
    for name in ("paystack", "stripe"):
        for _ in range(2):
            with pytest.raises(ProviderUnavailable):
                await registry.get(name).create_checkout(a_payment())
    clock.now += 10

    with pytest.raises(ProviderUnavailable) as caught:
        registry.choose(None, Currency("NGN"))
    assert caught.value.retry_after == 20
    with pytest.raises(UnsupportedCurrency):  # a currency nobody takes is still that problem, not 503
        registry.choose(None, Currency("JPY"))


async def test_a_provider_that_says_no_is_up() -> None:
    refusing = guard(StubProvider("stripe", frozenset({"USD"}), ProviderError("stripe", "bad request", 400)))
    for _ in range(5):
        with pytest.raises(ProviderError):
            await refusing.create_checkout(a_payment())
    assert not refusing.breaker.is_open


async def test_a_slow_provider_times_out_as_unavailable() -> None:
    slow = guard(StubProvider("stripe", frozenset({"USD"}), 1.0), timeout=0.05)
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await slow.create_checkout(a_payment())


async def test_build_from_settings_uses_the_simulator() -> None:
    async with httpx.AsyncClient() as http:
        simulator = SimulatorPaymentProvider("http://127.0.0.1:1", ("whsec_x",), 0, http, SystemClock())
        registry = build_provider_registry(
            Settings(providers=("simulator",)), provider_context(http), built={"simulator": simulator}
        )
        assert registry.get("simulator").inner is simulator
        assert registry.choose(None, Currency("KWD")).name == "simulator"  # the simulator takes every currency
