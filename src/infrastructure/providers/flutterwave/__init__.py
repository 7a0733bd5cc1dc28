"""Flutterwave (API v3; v3 and v4 webhooks). The registry imports this package and calls `build`."""

from __future__ import annotations

import httpx

from application.ports.clock import Clock
from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.flutterwave.adapter import FlutterwavePaymentProvider
from infrastructure.providers.flutterwave.api import FlutterwaveApi
from infrastructure.settings import Settings, SettingsError

__all__ = ["FlutterwavePaymentProvider", "build"]


def build(settings: Settings, http: httpx.AsyncClient, clock: Clock) -> PaymentProvider:
    """The adapter on the service's shared HTTP client; each call gets settings.provider_timeout_seconds."""
    key, secret_hash = settings.flutterwave_secret_key, settings.flutterwave_secret_hash
    if not key or not secret_hash:
        raise SettingsError(
            [
                f"PAYMENTS_{name} is required because flutterwave is in PAYMENTS_PROVIDERS"
                for name, value in (("FLUTTERWAVE_SECRET_KEY", key), ("FLUTTERWAVE_SECRET_HASH", secret_hash))
                if not value
            ]
        )
    api = FlutterwaveApi(settings.flutterwave_api_base, key, http, settings.provider_timeout_seconds)
    return FlutterwavePaymentProvider(api, secret_hash, settings.public_url)
