"""PayPal's variables: `PAYMENTS_PAYPAL_CLIENT_ID`, `_CLIENT_SECRET`, `_WEBHOOK_ID`, `_API_BASE` and
`_WEBHOOK_VERIFICATION` (`offline`: certificate from `*.paypal.com`; `postback`: PayPal's verify API)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from infrastructure.config_reader import EnvReader

PREFIX = "PAYMENTS_PAYPAL_"
DEFAULT_API_BASE = "https://api-m.sandbox.paypal.com"
VERIFICATION_MODES = ("offline", "postback")


@dataclass(frozen=True, kw_only=True)
class PayPalConfig:
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    webhook_id: str = ""
    api_base: str = DEFAULT_API_BASE
    webhook_verification: str = "offline"  # or "postback" (POST /v1/notifications/verify-webhook-signature)


def read_config(source: Mapping[str, str]) -> tuple[PayPalConfig | None, list[str]]:
    env = EnvReader(source, PREFIX)
    if not env.any_set():
        return None, []
    config = PayPalConfig(
        client_id=env.text("CLIENT_ID") or "",
        client_secret=env.text("CLIENT_SECRET") or "",
        webhook_id=env.text("WEBHOOK_ID") or "",
        api_base=env.api_base("API_BASE", DEFAULT_API_BASE),
        webhook_verification=env.choice("WEBHOOK_VERIFICATION", VERIFICATION_MODES, "offline"),
    )
    return config, env.problems


def local_problems(config: PayPalConfig, public_url: str) -> list[str]:
    """Both modes check the event against the webhook id; postback also calls PayPal with the client credentials
    (all three required). A mode made in code rather than read from the environment may be anything."""
    if config.webhook_verification not in VERIFICATION_MODES:
        return [f"{PREFIX}WEBHOOK_VERIFICATION must be offline or postback"]
    return []
