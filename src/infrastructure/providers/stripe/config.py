"""Stripe's variables: `PAYMENTS_STRIPE_SECRET_KEY`, `PAYMENTS_STRIPE_WEBHOOK_SECRETS` (comma-separated, every
one accepted: rotation), `PAYMENTS_STRIPE_API_BASE`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from infrastructure.config_reader import EnvReader

PREFIX = "PAYMENTS_STRIPE_"
DEFAULT_API_BASE = "https://api.stripe.com"


@dataclass(frozen=True, kw_only=True)
class StripeConfig:
    secret_key: str = field(default="", repr=False)
    webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    api_base: str = DEFAULT_API_BASE


def read_config(source: Mapping[str, str]) -> tuple[StripeConfig | None, list[str]]:
    env = EnvReader(source, PREFIX)
    if not env.any_set():
        return None, []
    config = StripeConfig(
        secret_key=env.text("SECRET_KEY") or "",
        webhook_secrets=env.csv("WEBHOOK_SECRETS"),
        api_base=env.api_base("API_BASE", DEFAULT_API_BASE),
    )
    return config, env.problems
