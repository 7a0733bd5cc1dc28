"""The Mollie adapter from its configuration, on the service's shared HTTP client."""

from __future__ import annotations

from infrastructure.providers.mollie.adapter import MolliePaymentProvider
from infrastructure.providers.mollie.config import MollieConfig
from infrastructure.providers.plugin import ProviderContext


def build(config: MollieConfig, context: ProviderContext) -> MolliePaymentProvider:
    return MolliePaymentProvider(
        config, context.public_url, context.http, context.clock, timeout_seconds=context.timeout_seconds
    )
