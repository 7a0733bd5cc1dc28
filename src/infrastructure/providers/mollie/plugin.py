"""Mollie as the rest of the service sees it.

Its webhooks are form bodies (`id=tr_…`) with no signature: nothing to redact or verify in their headers; the API
keys are redacted by value wherever they appear (their `test_`/`live_` prefixes are too common to redact by).
"""

from __future__ import annotations

from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.mollie.config import BASE_VARIABLE, KEY_VARIABLE, MollieConfig, read_mollie_config
from infrastructure.providers.plugin import ProviderContext, ProviderPlugin


def _build(config: MollieConfig, context: ProviderContext) -> PaymentProvider:
    from infrastructure.providers.mollie.wiring import build

    return build(config, context)


PLUGIN = ProviderPlugin[MollieConfig](
    name="mollie",
    read_config=read_mollie_config,
    required={KEY_VARIABLE: lambda config: config.api_keys},
    build=_build,
    api_bases=lambda config: {BASE_VARIABLE: config.api_base},
    secrets=lambda config: config.api_keys,
    signature_headers=(),  # classic Mollie webhooks are unsigned
    webhook_media_types=("application/x-www-form-urlencoded",),
)
