"""Flutterwave as the rest of the service sees it."""

from __future__ import annotations

from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.flutterwave.config import PREFIX, FlutterwaveConfig, read_config
from infrastructure.providers.plugin import ProviderContext, ProviderPlugin


def _build(config: FlutterwaveConfig, context: ProviderContext) -> PaymentProvider:
    from infrastructure.providers.flutterwave.wiring import build

    return build(config, context)


PLUGIN = ProviderPlugin[FlutterwaveConfig](
    name="flutterwave",
    read_config=read_config,
    required={
        f"{PREFIX}SECRET_KEY": lambda config: config.secret_key,
        f"{PREFIX}SECRET_HASH": lambda config: config.secret_hashes,
    },
    build=_build,
    api_bases=lambda config: {f"{PREFIX}API_BASE": config.api_base},
    secrets=lambda config: (config.secret_key, *config.secret_hashes),
    signature_headers=("verif-hash", "flutterwave-signature"),
    secret_prefixes=("FLWSECK-", "FLWSECK_TEST-"),
)
