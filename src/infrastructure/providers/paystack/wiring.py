"""The Paystack adapter from its configuration, on the service's shared HTTP client."""

from __future__ import annotations

from infrastructure.providers.paystack.adapter import PaystackPaymentProvider
from infrastructure.providers.paystack.api import PaystackApi
from infrastructure.providers.paystack.config import PaystackConfig
from infrastructure.providers.plugin import ProviderContext


def build(config: PaystackConfig, context: ProviderContext) -> PaystackPaymentProvider:
    api = PaystackApi(context.http, config.api_base, config.secret_keys, context.timeout_seconds)
    return PaystackPaymentProvider(api, config.secret_keys)
