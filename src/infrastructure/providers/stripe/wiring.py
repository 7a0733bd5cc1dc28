"""The Stripe adapter from its configuration (imports the SDK: only when Stripe is enabled)."""

from __future__ import annotations

from infrastructure.providers.plugin import ProviderContext
from infrastructure.providers.stripe.adapter import StripePaymentProvider
from infrastructure.providers.stripe.client import build_client
from infrastructure.providers.stripe.config import StripeConfig


def build(config: StripeConfig, context: ProviderContext) -> StripePaymentProvider:
    client = build_client(config.secret_key, config.api_base, context.http, context.timeout_seconds)
    return StripePaymentProvider(client, config.secret_key, config.webhook_secrets, context.public_url, context.clock)
