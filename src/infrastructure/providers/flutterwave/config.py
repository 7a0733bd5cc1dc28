"""Flutterwave's variables: `PAYMENTS_FLUTTERWAVE_SECRET_KEY` (API calls), `PAYMENTS_FLUTTERWAVE_SECRET_HASH`
(the dashboard's webhook hash; comma-separated for rotation, every one accepted) and
`PAYMENTS_FLUTTERWAVE_API_BASE`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from infrastructure.config_reader import EnvReader

PREFIX = "PAYMENTS_FLUTTERWAVE_"
DEFAULT_API_BASE = "https://api.flutterwave.com"


@dataclass(frozen=True, kw_only=True)
class FlutterwaveConfig:
    secret_key: str = field(default="", repr=False)
    secret_hashes: tuple[str, ...] = field(default=(), repr=False)
    api_base: str = DEFAULT_API_BASE


def read_config(source: Mapping[str, str]) -> tuple[FlutterwaveConfig | None, list[str]]:
    env = EnvReader(source, PREFIX)
    if not env.any_set():
        return None, []
    config = FlutterwaveConfig(
        secret_key=env.text("SECRET_KEY") or "",
        secret_hashes=env.csv("SECRET_HASH"),
        api_base=env.api_base("API_BASE", DEFAULT_API_BASE),
    )
    return config, env.problems
