"""The enabled payment providers, in routing order (PAYMENTS_PROVIDERS), behind the PaymentProviders port.

Each provider's adapter is built by its plugin (`catalogue.py`) from its configuration; the registry wraps
every adapter in a GuardedProvider (timeout + circuit breaker) and routes new checkouts around open circuits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from application.errors import (
    CaptureNotSupported,
    ProviderNotEnabled,
    ProviderUnavailable,
    UnknownProvider,
    UnsupportedCurrency,
)
from application.ports.payment_provider import PaymentProvider
from domain.shared.money import Currency
from infrastructure.providers import catalogue
from infrastructure.providers.circuit_breaker import CircuitBreaker
from infrastructure.providers.guarded_provider import GuardedProvider, ProviderCallObserver
from infrastructure.providers.plugin import ProviderContext
from infrastructure.settings import Settings, SettingsError


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

    def fallbacks(self, currency: Currency, *, manual_capture: bool = False) -> list[GuardedProvider]:
        able = (p for p in self._providers if p.supports_manual_capture or not manual_capture)
        return [provider for provider in able if provider.supports(currency) and not provider.breaker.is_open]

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
    context: ProviderContext,
    observer: ProviderCallObserver | None = None,
    *,
    built: Mapping[str, PaymentProvider] | None = None,
) -> ProviderRegistry:
    """One guarded adapter per name in settings.providers, in that order; `observer` times every call. `built`
    holds adapters made elsewhere that must be the same instance (the container's simulator, shared with its
    pages); every other adapter is built by its plugin from its configuration."""
    guarded: list[GuardedProvider] = []
    problems: list[str] = []
    for name in settings.providers:
        adapter = (built or {}).get(name) or _build(name, settings, context, problems)
        if adapter is None:
            continue
        breaker = CircuitBreaker(settings.circuit_failure_threshold, settings.circuit_reset_seconds)
        guarded.append(GuardedProvider(adapter, breaker, settings.provider_timeout_seconds, observer))
    if problems:
        raise SettingsError(problems)
    return ProviderRegistry(guarded)


def _build(name: str, settings: Settings, context: ProviderContext, problems: list[str]) -> PaymentProvider | None:
    """The adapter, or None with the reasons added to `problems` (load_settings refuses these configurations;
    Settings made in code may still have them)."""
    provider = catalogue.plugin(name)
    if provider is None:
        problems.append(f"PAYMENTS_PROVIDERS names {name}, which this version does not implement")
        return None
    config = settings.provider_configs.get(name)
    refusals = provider.refusals(config)
    if config is None and not refusals:
        refusals = [f"PAYMENTS_PROVIDERS names {name}, which has no configuration"]
    problems += refusals
    if refusals or config is None:
        return None
    return provider.build(config, context)
