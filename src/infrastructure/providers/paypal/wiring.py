"""The PayPal adapter from its configuration.

Production values are fixed here, not configurable: certificates only from hosts ending in `.paypal.com`,
trusted against Mozilla's roots (certifi). Tests pass `certificates` with their own CA and certificate source.
"""

from __future__ import annotations

from infrastructure.providers.paypal.adapter import PayPalPaymentProvider
from infrastructure.providers.paypal.api import PayPalApi
from infrastructure.providers.paypal.cert_sources import HttpCertificateSource, mozilla_roots
from infrastructure.providers.paypal.certificates import PAYPAL_HOST_SUFFIX, PayPalCertificates
from infrastructure.providers.paypal.config import PayPalConfig
from infrastructure.providers.paypal.oauth import PayPalAccessTokens
from infrastructure.providers.paypal.postback import PostbackVerifier
from infrastructure.providers.paypal.signature import OfflineVerifier, WebhookVerifier
from infrastructure.providers.paypal.webhooks import PayPalWebhooks
from infrastructure.providers.plugin import ProviderContext


def build(
    config: PayPalConfig, context: ProviderContext, *, certificates: PayPalCertificates | None = None
) -> PayPalPaymentProvider:
    http, clock, timeout = context.http, context.clock, context.timeout_seconds
    tokens = PayPalAccessTokens(config.api_base, config.client_id, config.client_secret, http, clock, timeout)
    api = PayPalApi(config.api_base, http, tokens, timeout)
    verifier: WebhookVerifier
    if config.webhook_verification == "postback":
        verifier = PostbackVerifier(api, config.webhook_id)
    else:
        source = HttpCertificateSource(http, timeout)
        certificates = certificates or PayPalCertificates(source, clock, mozilla_roots, PAYPAL_HOST_SUFFIX)
        verifier = OfflineVerifier(config.webhook_id, certificates)
    return PayPalPaymentProvider(api, PayPalWebhooks(verifier, clock), clock)
