"""Settings with provider configurations, and the context adapters are built in, for tests.

`settings_with(stripe=StripeConfig(secret_key=…), providers=("stripe",))`: a keyword named after a provider
replaces that provider's configuration (the others keep theirs, e.g. the simulator's); any other keyword is a
Settings field.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from application.ports.clock import Clock
from infrastructure.clock import SystemClock
from infrastructure.providers import catalogue
from infrastructure.providers.plugin import ProviderContext
from infrastructure.settings import Settings


def settings_with(base: Settings | None = None, /, **changes: Any) -> Settings:
    """`base` (or `Settings()`) with `changes`; provider-named keywords are configurations, the rest fields."""
    base = Settings() if base is None else base
    configs = {name: changes.pop(name) for name in catalogue.KNOWN if name in changes}
    return replace(base, provider_configs={**base.provider_configs, **configs}, **changes)


def provider_context(
    http: httpx.AsyncClient,
    clock: Clock | None = None,
    *,
    timeout_seconds: float = 10.0,
    public_url: str = "http://127.0.0.1:8000",
) -> ProviderContext:
    """What the container gives every adapter (its defaults are Settings' defaults)."""
    return ProviderContext(public_url, http, clock or SystemClock(), timeout_seconds)
