"""The enabled payment providers, in routing order (PAYMENTS_PROVIDERS), behind the PaymentProviders port.

Each real provider lives in its own package with a `build(settings, http, clock)` function; the registry wraps
every adapter in a GuardedProvider (timeout + circuit breaker) and routes new checkouts around open circuits.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

import httpx

from application.errors import (
    CaptureNotSupported,
    ProviderNotEnabled,
    ProviderUnavailable,
    UnknownProvider,
    UnsupportedCurrency,
)
from application.ports.clock import Clock
from application.ports.payment_provider import PaymentProvider
from domain.shared.money import Currency
from infrastructure.providers.circuit_breaker import CircuitBreaker
from infrastructure.providers.guarded_provider import GuardedProvider, ProviderCallObserver
from infrastructure.providers.simulator import SimulatorPaymentProvider
from infrastructure.settings import Settings, SettingsError

Builder = Callable[[Settings, httpx.AsyncClient, Clock], PaymentProvider]

# name → module whose `build` makes the adapter (imported only when the provider is enabled)
ADAPTER_MODULES = {
    "stripe": "infrastructure.providers.stripe",
    "paystack": "infrastructure.providers.paystack",
    "flutterwave": "infrastructure.providers.flutterwave",
    "paypal": "infrastructure.providers.paypal",
}


class ProviderRegistry:
    def __init__(self, providers: Sequence[GuardedProvider]) -> None:
        self._providers = tuple(providers)
        self._by_name = {provider.name: provider for provider in self._providers}
        if len(self._by_name) != len(self._providers):
            raise ValueError("two enabled providers share a name")

    def get(self, name: str) -> GuardedProvider:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownProvider(name) from None

    def choose(self, preference: str | None, currency: Currency, *, manual_capture: bool = False) -> GuardedProvider:
        # An explicit preference is never silently swapped for another provider: the caller asked for it.
        if preference is not None:
            preferred = self._by_name.get(preference)
            if preferred is None:
                raise ProviderNotEnabled(preference, self.names())
            if manual_capture and not preferred.supports_manual_capture:
                raise CaptureNotSupported(preference, self._holding_funds())
            if not preferred.supports(currency):
                raise UnsupportedCurrency(currency.code, [preference])
            self._raise_if_open([preferred])
            return preferred
        able = [p for p in self._providers if p.supports_manual_capture] if manual_capture else list(self._providers)
        if not able:
            raise CaptureNotSupported(None, [])
        candidates = [provider for provider in able if provider.supports(currency)]
        if not candidates:
            raise UnsupportedCurrency(currency.code, [provider.name for provider in able])
        for provider in candidates:
            if not provider.breaker.is_open:
                return provider
        self._raise_if_open(candidates)
        raise AssertionError("unreachable: every candidate is open")  # pragma: no cover

    def _holding_funds(self) -> list[str]:
        return [provider.name for provider in self._providers if provider.supports_manual_capture]

    def names(self) -> list[str]:
        return [provider.name for provider in self._providers]

    @staticmethod
    def _raise_if_open(candidates: Sequence[GuardedProvider]) -> None:
        if all(provider.breaker.is_open for provider in candidates):
            names = ", ".join(provider.name for provider in candidates)
            retry_after = min(provider.breaker.retry_after for provider in candidates)
            raise ProviderUnavailable(names, "circuit open after repeated failures", retry_after)


def build_provider_registry(
    settings: Settings,
    simulator: SimulatorPaymentProvider,
    http: httpx.AsyncClient,
    clock: Clock,
    observer: ProviderCallObserver | None = None,
) -> ProviderRegistry:
    """One guarded adapter per name in settings.providers, in that order; `observer` times every call."""
    guarded: list[GuardedProvider] = []
    problems: list[str] = []
    for name in settings.providers:
        adapter: PaymentProvider
        if name == "simulator":
            adapter = simulator
        elif name in ADAPTER_MODULES:
            builder: Builder = importlib.import_module(ADAPTER_MODULES[name]).build
            adapter = builder(settings, http, clock)
        else:
            problems.append(f"PAYMENTS_PROVIDERS names {name}, which this version does not implement")
            continue
        breaker = CircuitBreaker(settings.circuit_failure_threshold, settings.circuit_reset_seconds)
        guarded.append(GuardedProvider(adapter, breaker, settings.provider_timeout_seconds, observer))
    if problems:
        raise SettingsError(problems)
    return ProviderRegistry(guarded)
