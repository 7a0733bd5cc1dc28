"""The Flutterwave adapter from its configuration, on the service's shared HTTP client."""

from __future__ import annotations

from infrastructure.providers.flutterwave.adapter import FlutterwavePaymentProvider
from infrastructure.providers.flutterwave.api import FlutterwaveApi
from infrastructure.providers.flutterwave.config import FlutterwaveConfig
from infrastructure.providers.plugin import ProviderContext


def build(config: FlutterwaveConfig, context: ProviderContext) -> FlutterwavePaymentProvider:
    api = FlutterwaveApi(config.api_base, config.secret_key, context.http, context.timeout_seconds)
    return FlutterwavePaymentProvider(api, config.secret_hashes, context.public_url)
