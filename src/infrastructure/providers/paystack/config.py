"""Paystack's variables: `PAYMENTS_PAYSTACK_SECRET_KEY` and `PAYMENTS_PAYSTACK_API_BASE`.

Paystack signs webhooks with the API secret key itself, so rotating the key is rotating the webhook secret:
the variable is a comma-separated list, the first key is used for API calls and every key verifies a webhook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from infrastructure.config_reader import EnvReader

PREFIX = "PAYMENTS_PAYSTACK_"
DEFAULT_API_BASE = "https://api.paystack.co"


@dataclass(frozen=True, kw_only=True)
class PaystackConfig:
    secret_keys: tuple[str, ...] = field(default=(), repr=False)  # the first is current
    api_base: str = DEFAULT_API_BASE


def read_config(source: Mapping[str, str]) -> tuple[PaystackConfig | None, list[str]]:
    env = EnvReader(source, PREFIX)
    if not env.any_set():
        return None, []
    config = PaystackConfig(secret_keys=env.csv("SECRET_KEY"), api_base=env.api_base("API_BASE", DEFAULT_API_BASE))
    return config, env.problems
