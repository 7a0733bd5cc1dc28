"""What a payment provider tells the rest of the service about itself: one `ProviderPlugin` per provider.

Everything outside a provider's package that depends on which providers exist asks the plugins listed in
`catalogue.py`: the settings (its variables, what it requires, which URLs production requires to be https),
the registry (how to build its adapter), log redaction (its secrets, signature headers and key prefixes),
readiness (what is missing or wrong, found without calling it) and the webhook route (the media types it sends).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from application.ports.clock import Clock
from application.ports.payment_provider import PaymentProvider

C = TypeVar("C")

JSON_ONLY = ("application/json",)  # what most providers' webhooks are


@dataclass(frozen=True)
class ProviderContext:
    """What every adapter may use besides its own configuration; the composition root makes one."""

    public_url: str  # where the provider sends customers back and its webhooks to
    http: httpx.AsyncClient  # the service's pooled client; adapters set their own per-call timeouts
    clock: Clock
    timeout_seconds: float  # PAYMENTS_PROVIDER_TIMEOUT_SECONDS, the deadline of every provider call


def _no_local_problems(config: object, public_url: str) -> list[str]:
    return []


@dataclass(frozen=True, kw_only=True)
class ProviderPlugin(Generic[C]):
    """A provider, as the service sees it from outside its package. `C` is its configuration's type.

    - `read_config` reads the provider's own `PAYMENTS_<NAME>_*` variables from the environment: `(None, [])`
      when none is set; otherwise its configuration (a required value missing is left empty: it is a mistake
      only when the provider is enabled) and one line per malformed variable, never echoing a secret.
    - `required`: each variable the provider needs when enabled, and how to find its value in a configuration
      (an empty value is missing).
    - `build` makes the adapter from a complete configuration; heavy libraries (the Stripe SDK) are imported
      inside it, so a provider that is not enabled costs nothing.
    - `api_bases`: variable → the base URL the secret key is sent to; production requires https.
    - `secrets`: the configured values redacted wherever they appear in a log line.
    - `signature_headers` and `secret_prefixes`: names and shapes redacted in every log line (lower-case
      header names; prefixes as the provider writes them, e.g. `sk_live_`, `FLWSECK-`).
    - `webhook_media_types`: what `POST /api/v1/webhooks/<name>` accepts (lower case); anything else is 415.
    - `local_problems(config, public_url)`: what else readiness can tell without calling the provider.
    """

    name: str
    read_config: Callable[[Mapping[str, str]], tuple[C | None, list[str]]]
    required: Mapping[str, Callable[[C], object]]
    build: Callable[[C, ProviderContext], PaymentProvider]
    api_bases: Callable[[C], Mapping[str, str]]
    secrets: Callable[[C], tuple[str, ...]]
    signature_headers: tuple[str, ...]
    secret_prefixes: tuple[str, ...] = ()
    webhook_media_types: tuple[str, ...] = JSON_ONLY
    local_problems: Callable[[C, str], list[str]] = _no_local_problems

    def missing(self, config: C | None) -> list[str]:
        """The required variables `config` lacks: all of them when there is no configuration."""
        return [variable for variable, value in self.required.items() if config is None or not value(config)]

    def refusals(self, config: C | None) -> list[str]:
        """What refuses this provider enabled with `config`: one line per required variable it lacks."""
        return [
            f"{variable} is required because {self.name} is in PAYMENTS_PROVIDERS" for variable in self.missing(config)
        ]
