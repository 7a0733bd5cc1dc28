"""PayPal as the rest of the service sees it."""

from __future__ import annotations

from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.paypal.config import PREFIX, PayPalConfig, local_problems, read_config
from infrastructure.providers.plugin import ProviderContext, ProviderPlugin


def _build(config: PayPalConfig, context: ProviderContext) -> PaymentProvider:
    from infrastructure.providers.paypal.wiring import build

    return build(config, context)


PLUGIN = ProviderPlugin[PayPalConfig](
    name="paypal",
    read_config=read_config,
    required={
        f"{PREFIX}CLIENT_ID": lambda config: config.client_id,
        f"{PREFIX}CLIENT_SECRET": lambda config: config.client_secret,
        f"{PREFIX}WEBHOOK_ID": lambda config: config.webhook_id,
    },
    build=_build,
    api_bases=lambda config: {f"{PREFIX}API_BASE": config.api_base},
    # client secrets carry no prefix: only the exact configured value is recognised
    secrets=lambda config: (config.client_secret,),
    signature_headers=("paypal-transmission-sig",),
    local_problems=local_problems,
)
