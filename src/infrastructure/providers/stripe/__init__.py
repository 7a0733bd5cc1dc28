"""The Stripe adapter (hosted Checkout): `build` is what the provider registry calls."""

from __future__ import annotations

import httpx

from application.ports.clock import Clock
from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.stripe.adapter import StripePaymentProvider
from infrastructure.providers.stripe.client import build_client
from infrastructure.settings import Settings, SettingsError

__all__ = ["StripePaymentProvider", "build"]


def build(settings: Settings, http: httpx.AsyncClient, clock: Clock) -> PaymentProvider:
    problems = []
    if not settings.stripe_secret_key:
        problems.append("PAYMENTS_STRIPE_SECRET_KEY is required because stripe is in PAYMENTS_PROVIDERS")
    if not settings.stripe_webhook_secrets:
        problems.append("PAYMENTS_STRIPE_WEBHOOK_SECRETS is required because stripe is in PAYMENTS_PROVIDERS")
    if problems or settings.stripe_secret_key is None:
        raise SettingsError(problems)
    client = build_client(settings.stripe_secret_key, settings.stripe_api_base, http, settings.provider_timeout_seconds)
    return StripePaymentProvider(
        client, settings.stripe_secret_key, settings.stripe_webhook_secrets, settings.public_url, clock
    )
