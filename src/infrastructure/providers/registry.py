"""The enabled payment providers, in routing order (PAYMENTS_PROVIDERS), behind the PaymentProviders port."""

from __future__ import annotations

from collections.abc import Sequence

from application.errors import ProviderNotEnabled, UnknownProvider, UnsupportedCurrency
from application.ports.payment_provider import PaymentProvider
from domain.shared.money import Currency
from infrastructure.providers.simulator import SimulatorPaymentProvider
from infrastructure.settings import Settings, SettingsError


class ProviderRegistry:
    def __init__(self, providers: Sequence[PaymentProvider]) -> None:
        self._providers = tuple(providers)
        self._by_name = {provider.name: provider for provider in self._providers}
        if len(self._by_name) != len(self._providers):
            raise ValueError("two enabled providers share a name")

    def get(self, name: str) -> PaymentProvider:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownProvider(name) from None

    def choose(self, preference: str | None, currency: Currency) -> PaymentProvider:
        # An explicit preference is never silently swapped for another provider: the caller asked for it.
        if preference is not None:
            preferred = self._by_name.get(preference)
            if preferred is None:
                raise ProviderNotEnabled(preference, self.names())
            if not preferred.supports(currency):
                raise UnsupportedCurrency(currency.code, [preference])
            return preferred
        for provider in self._providers:
            if provider.supports(currency):
                return provider
        raise UnsupportedCurrency(currency.code, self.names())

    def names(self) -> list[str]:
        return [provider.name for provider in self._providers]


def build_provider_registry(settings: Settings, simulator: SimulatorPaymentProvider) -> ProviderRegistry:
    """One adapter per name in settings.providers, in that order. Every missing adapter is reported at once."""
    providers: list[PaymentProvider] = []
    problems: list[str] = []
    for name in settings.providers:
        if name == "simulator":
            providers.append(simulator)
        else:
            problems.append(f"PAYMENTS_PROVIDERS names {name}, which this version does not implement yet")
    if problems:
        raise SettingsError(problems)
    return ProviderRegistry(providers)
