"""Paystack as the rest of the service sees it."""

from __future__ import annotations

from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.paystack.config import PREFIX, PaystackConfig, read_config
from infrastructure.providers.plugin import ProviderContext, ProviderPlugin


def _build(config: PaystackConfig, context: ProviderContext) -> PaymentProvider:
    from infrastructure.providers.paystack.wiring import build

    return build(config, context)


PLUGIN = ProviderPlugin[PaystackConfig](
    name="paystack",
    read_config=read_config,
    required={f"{PREFIX}SECRET_KEY": lambda config: config.secret_keys},
    build=_build,
    api_bases=lambda config: {f"{PREFIX}API_BASE": config.api_base},
    secrets=lambda config: config.secret_keys,
    signature_headers=("x-paystack-signature",),
    secret_prefixes=("sk_live_", "sk_test_"),
)
