"""The Paystack adapter: checkout, refunds, signed webhooks and verification, behind the PaymentProvider port.

Modules: `api` (HTTP calls and error mapping), `adapter` (the port), `events` (webhook translation and dedupe
keys), `verification` (API answers as events), `references` (payment id ⇄ transaction reference), `signature`
(HMAC-SHA512 over the raw body), `wire` (typed JSON).
"""

from __future__ import annotations

import httpx

from application.ports.clock import Clock
from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.paystack.adapter import SUPPORTED_CURRENCIES, PaystackPaymentProvider
from infrastructure.providers.paystack.api import PaystackApi
from infrastructure.settings import Settings, SettingsError

__all__ = ["SUPPORTED_CURRENCIES", "PaystackApi", "PaystackPaymentProvider", "build"]


def build(settings: Settings, http: httpx.AsyncClient, clock: Clock) -> PaymentProvider:
    """The adapter on the app's shared HTTP client; every call gets settings.provider_timeout_seconds."""
    if not settings.paystack_secret_key:
        raise SettingsError(["PAYMENTS_PAYSTACK_SECRET_KEY is required because paystack is in PAYMENTS_PROVIDERS"])
    api = PaystackApi(http, settings.paystack_api_base, settings.paystack_secret_key, settings.provider_timeout_seconds)
    return PaystackPaymentProvider(api, settings.paystack_secret_key)
