"""The PayPal adapter. `build` wires it from settings; the registry calls it when `paypal` is enabled.

Production values are fixed here, not configurable: certificates only from hosts ending in `.paypal.com`,
trusted against Mozilla's roots (certifi). Tests pass `certificates` with their own CA and certificate source.
"""

from __future__ import annotations

import httpx

from application.ports.clock import Clock
from infrastructure.providers.paypal.adapter import PayPalPaymentProvider
from infrastructure.providers.paypal.api import PayPalApi
from infrastructure.providers.paypal.cert_sources import HttpCertificateSource, mozilla_roots
from infrastructure.providers.paypal.certificates import PAYPAL_HOST_SUFFIX, PayPalCertificates
from infrastructure.providers.paypal.oauth import PayPalAccessTokens
from infrastructure.providers.paypal.postback import PostbackVerifier
from infrastructure.providers.paypal.signature import OfflineVerifier, WebhookVerifier
from infrastructure.providers.paypal.webhooks import PayPalWebhooks
from infrastructure.settings import Settings, SettingsError

__all__ = ["PayPalPaymentProvider", "build"]


def build(
    settings: Settings,
    http: httpx.AsyncClient,
    clock: Clock,
    *,
    certificates: PayPalCertificates | None = None,
) -> PayPalPaymentProvider:
    client_id, client_secret = settings.paypal_client_id, settings.paypal_client_secret
    webhook_id = settings.paypal_webhook_id
    if not (client_id and client_secret and webhook_id):
        names = ("PAYPAL_CLIENT_ID", "PAYPAL_CLIENT_SECRET", "PAYPAL_WEBHOOK_ID")
        missing = [name for name, value in zip(names, (client_id, client_secret, webhook_id), strict=True) if not value]
        raise SettingsError([f"PAYMENTS_{name} is required because paypal is enabled" for name in missing])
    timeout = settings.provider_timeout_seconds
    tokens = PayPalAccessTokens(settings.paypal_api_base, client_id, client_secret, http, clock, timeout)
    api = PayPalApi(settings.paypal_api_base, http, tokens, timeout)
    verifier: WebhookVerifier
    if settings.paypal_webhook_verification == "postback":
        verifier = PostbackVerifier(api, webhook_id)
    else:
        source = HttpCertificateSource(http, timeout)
        certificates = certificates or PayPalCertificates(source, clock, mozilla_roots, PAYPAL_HOST_SUFFIX)
        verifier = OfflineVerifier(webhook_id, certificates)
    return PayPalPaymentProvider(api, PayPalWebhooks(verifier, clock))
