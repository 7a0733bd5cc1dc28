"""The catalogue is the one list of providers: every plugin in it is read, required, built and redacted by the
settings, the registry and the logs without any of them naming it; the HTTP schema's provider names are its
names. Each provider is checked from its plugin alone, so a new one is covered by its line in catalogue.py."""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from infrastructure.providers import catalogue
from infrastructure.providers.plugin import ProviderPlugin
from infrastructure.providers.registry import build_provider_registry
from infrastructure.settings import SettingsError, load_settings
from interfaces.http.schemas.common import ProviderName
from interfaces.log_redaction import REDACTED, RedactionRules, configured_secrets
from tests.provider_settings import provider_context

PLUGINS = pytest.mark.parametrize("plugin", catalogue.PROVIDERS, ids=catalogue.KNOWN)
REAL = [plugin for plugin in catalogue.PROVIDERS if plugin.required]


def complete(plugin: ProviderPlugin[Any]) -> dict[str, str]:
    """Every variable the provider requires, each with a value of its own (two for a list: rotation), shaped
    like a test-mode key (`test_` and letters and digits), which every provider's reader takes."""

    def value(variable: str, which: str) -> str:
        return f"test_{which}{hashlib.sha256(variable.encode()).hexdigest()[:24]}"

    return {variable: f"{value(variable, 'first')},{value(variable, 'second')}" for variable in plugin.required}


def test_the_api_names_exactly_the_catalogues_providers() -> None:
    assert typing.get_args(ProviderName) == catalogue.KNOWN
    assert len(set(catalogue.KNOWN)) == len(catalogue.KNOWN)


def test_settings_accept_exactly_the_catalogues_names() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"PAYMENTS_PROVIDERS": "simulator,adyen"}, env_file=None)
    assert refused.value.problems == [
        f"PAYMENTS_PROVIDERS names unknown providers ['adyen']; known: {', '.join(catalogue.KNOWN)}"
    ]


@PLUGINS
def test_a_provider_reads_only_its_own_variables(plugin: ProviderPlugin[Any]) -> None:
    others = {variable: "x" for other in REAL if other is not plugin for variable in complete(other)}
    config, problems = plugin.read_config(others)
    assert problems == []
    assert (config is None) == bool(plugin.required)  # the simulator needs nothing: it is always configured
    assert plugin.missing(config) == list(plugin.required)


@pytest.mark.parametrize("plugin", REAL, ids=[plugin.name for plugin in REAL])
def test_an_enabled_provider_without_its_variables_is_refused_naming_each(plugin: ProviderPlugin[Any]) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"PAYMENTS_PROVIDERS": plugin.name}, env_file=None)
    assert refused.value.problems == [
        f"{variable} is required because {plugin.name} is in PAYMENTS_PROVIDERS" for variable in plugin.required
    ]


@PLUGINS
async def test_a_configured_provider_is_built_by_the_registry(plugin: ProviderPlugin[Any]) -> None:
    settings = load_settings({"PAYMENTS_PROVIDERS": plugin.name, **complete(plugin)}, env_file=None)
    async with httpx.AsyncClient() as http:
        registry = build_provider_registry(settings, provider_context(http))
    assert registry.names() == [plugin.name]
    assert registry.get(plugin.name).inner.name == plugin.name


@PLUGINS
def test_every_configured_secret_of_a_provider_is_redacted(plugin: ProviderPlugin[Any]) -> None:
    settings = load_settings(complete(plugin), env_file=None)
    secrets = plugin.secrets(settings.provider_configs[plugin.name])
    assert secrets
    assert set(secrets) <= set(configured_secrets(settings))
    rules = RedactionRules(configured_secrets(settings))
    for secret in secrets:
        assert rules.redact(f"failed with {secret} today") == f"failed with {REDACTED} today"


@PLUGINS
def test_a_providers_signature_headers_are_redacted_in_a_header_dump(plugin: ProviderPlugin[Any]) -> None:
    for header in plugin.signature_headers:
        assert RedactionRules().redact(f"{header.title()}: abc123") == f"{header.title()}: {REDACTED}"


@pytest.mark.parametrize("plugin", REAL, ids=[plugin.name for plugin in REAL])
def test_production_requires_https_for_every_api_base(plugin: ProviderPlugin[Any]) -> None:
    environ = {"PAYMENTS_ENV": "production", "PAYMENTS_PROVIDERS": plugin.name, **complete(plugin)}
    bases = plugin.api_bases(plugin.read_config(environ)[0])
    assert bases
    with pytest.raises(SettingsError) as refused:
        load_settings(environ | dict.fromkeys(bases, "http://provider.internal"), env_file=None)
    for variable in bases:
        line = f"{variable} must be https in production (it carries the secret key); got 'http://provider.internal'"
        assert line in refused.value.problems


# Every webhook or signing secret is a list for rotation: the first is current, every one verifies.
ROTATING: list[tuple[str, str, Callable[[Any], tuple[str, ...]]]] = [
    ("stripe", "PAYMENTS_STRIPE_WEBHOOK_SECRETS", lambda config: config.webhook_secrets),
    ("paystack", "PAYMENTS_PAYSTACK_SECRET_KEY", lambda config: config.secret_keys),
    ("flutterwave", "PAYMENTS_FLUTTERWAVE_SECRET_HASH", lambda config: config.secret_hashes),
    ("simulator", "PAYMENTS_SIMULATOR_WEBHOOK_SECRET", lambda config: config.webhook_secrets),
]


@pytest.mark.parametrize(("name", "variable", "secrets"), ROTATING, ids=[row[0] for row in ROTATING])
def test_a_webhook_secret_variable_is_a_list_first_current(
    name: str, variable: str, secrets: Callable[[Any], tuple[str, ...]]
) -> None:
    settings = load_settings({variable: " whsec_new_0123456789 , whsec_old_0123456789 ,"}, env_file=None)
    assert secrets(settings.provider_configs[name]) == ("whsec_new_0123456789", "whsec_old_0123456789")
    assert {"whsec_new_0123456789", "whsec_old_0123456789"} <= set(configured_secrets(settings))


def test_an_unset_simulator_secret_is_random_per_start() -> None:
    first, second = (load_settings({}, env_file=None).provider_configs["simulator"] for _ in range(2))
    assert first != second
