"""The simulator's variables: `PAYMENTS_SIMULATOR_WEBHOOK_SECRET` (comma-separated for rotation: the first signs
what the simulator sends, every one verifies; a random one per start when unset) and
`PAYMENTS_SIMULATOR_SETTLE_DELAY_SECONDS` (how long refunds and captures wait before they settle; its older name
`PAYMENTS_SIMULATOR_REFUND_DELAY_SECONDS`, from before captures, is still read).

Unlike a real provider the simulator is always configured: it needs nothing from the operator.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from infrastructure.config_reader import EnvReader, is_http_url

PREFIX = "PAYMENTS_SIMULATOR_"
WEBHOOK_SECRET = f"{PREFIX}WEBHOOK_SECRET"
DEFAULT_SETTLE_DELAY_SECONDS = 0.5


def _random_secret() -> tuple[str, ...]:
    return ("whsec_sim_" + secrets.token_hex(16),)


@dataclass(frozen=True, kw_only=True)
class SimulatorConfig:
    webhook_secrets: tuple[str, ...] = field(default_factory=_random_secret, repr=False)
    settle_delay_seconds: float = DEFAULT_SETTLE_DELAY_SECONDS


def read_config(source: Mapping[str, str]) -> tuple[SimulatorConfig, list[str]]:
    env = EnvReader(source, PREFIX)
    config = SimulatorConfig(
        webhook_secrets=env.csv("WEBHOOK_SECRET") or _random_secret(),
        settle_delay_seconds=env.number(
            "SETTLE_DELAY_SECONDS", env.number("REFUND_DELAY_SECONDS", DEFAULT_SETTLE_DELAY_SECONDS)
        ),
    )
    return config, env.problems


def local_problems(config: SimulatorConfig, public_url: str) -> list[str]:
    problems = []
    if not any(config.webhook_secrets):
        problems.append(f"{WEBHOOK_SECRET} is empty")
    if not is_http_url(public_url):  # its checkout links and its own webhooks go there
        problems.append("PAYMENTS_PUBLIC_URL is not an http(s) URL")
    return problems
