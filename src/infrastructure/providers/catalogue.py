"""Every provider this version implements: the one list. Adding a provider is its package and one line here.

The settings, the registry, the HTTP schema's provider names (hence the OpenAPI document), log redaction,
readiness and the webhook route's media types all ask this module; none of them names a provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infrastructure.providers.flutterwave.plugin import PLUGIN as FLUTTERWAVE
from infrastructure.providers.mollie.plugin import PLUGIN as MOLLIE
from infrastructure.providers.paypal.plugin import PLUGIN as PAYPAL
from infrastructure.providers.paystack.plugin import PLUGIN as PAYSTACK
from infrastructure.providers.plugin import JSON_ONLY, ProviderPlugin
from infrastructure.providers.simulator.plugin import PLUGIN as SIMULATOR
from infrastructure.providers.stripe.plugin import PLUGIN as STRIPE

PROVIDERS: tuple[ProviderPlugin[Any], ...] = (STRIPE, PAYSTACK, FLUTTERWAVE, PAYPAL, MOLLIE, SIMULATOR)

KNOWN: tuple[str, ...] = tuple(provider.name for provider in PROVIDERS)
_BY_NAME = {provider.name: provider for provider in PROVIDERS}


def plugin(name: str) -> ProviderPlugin[Any] | None:
    """The provider called `name`, or None when this version does not implement it."""
    return _BY_NAME.get(name)


def read_configs(source: Mapping[str, str]) -> tuple[dict[str, object], list[str]]:
    """Each provider's configuration from the environment (providers with nothing set are left out), and every
    malformed variable, one line each."""
    configs: dict[str, object] = {}
    problems: list[str] = []
    for provider in PROVIDERS:
        config, mistakes = provider.read_config(source)
        if config is not None:
            configs[provider.name] = config
        problems += mistakes
    return configs, problems


def default_configs() -> dict[str, object]:
    """The configurations an empty environment gives: the simulator's (with a random secret), nothing else."""
    return read_configs({})[0]


def webhook_media_types(name: str) -> tuple[str, ...]:
    """What the webhook route takes for `name`; a name no provider has gets JSON, then a 404 from the registry."""
    provider = _BY_NAME.get(name)
    return JSON_ONLY if provider is None else provider.webhook_media_types


def all_webhook_media_types() -> tuple[str, ...]:
    """Every media type some provider's webhooks use, for the route's OpenAPI description."""
    return tuple(dict.fromkeys(kind for provider in PROVIDERS for kind in provider.webhook_media_types))
