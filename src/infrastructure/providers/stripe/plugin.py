"""Stripe as the rest of the service sees it."""

from __future__ import annotations

from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.plugin import ProviderContext, ProviderPlugin
from infrastructure.providers.stripe.config import PREFIX, StripeConfig, read_config


def _build(config: StripeConfig, context: ProviderContext) -> PaymentProvider:
    from infrastructure.providers.stripe.wiring import build  # the SDK takes a while to import

    return build(config, context)


PLUGIN = ProviderPlugin[StripeConfig](
    name="stripe",
    read_config=read_config,
    required={
        f"{PREFIX}SECRET_KEY": lambda config: config.secret_key,
        f"{PREFIX}WEBHOOK_SECRETS": lambda config: config.webhook_secrets,
    },
    build=_build,
    api_bases=lambda config: {f"{PREFIX}API_BASE": config.api_base},
    secrets=lambda config: (config.secret_key, *config.webhook_secrets),
    signature_headers=("stripe-signature",),
    # secret and restricted keys, live and test; webhook signing secrets
    secret_prefixes=("sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"),
)
