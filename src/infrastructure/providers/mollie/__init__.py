"""Mollie, the fifth provider: hosted checkout, refunds, and unsigned `id=tr_…` webhooks answered by fetching.

Modules: `config` (PAYMENTS_MOLLIE_* → MollieConfig, with problem lines), `api` (HTTP calls and error mapping),
`adapter` (the port, plus `notification_id` and `events_for` for the fetch-based webhook path), `events` (a
fetched payment and its refunds → ProviderEvents), `notification` (the webhook body), `bodies` (what we POST),
`amounts` (minor units ↔ `{"currency", "value"}`, supported currencies), `wire` (typed JSON).
"""

from __future__ import annotations

from infrastructure.providers.mollie.adapter import MolliePaymentProvider
from infrastructure.providers.mollie.amounts import SUPPORTED_CURRENCIES
from infrastructure.providers.mollie.config import MollieConfig, read_mollie_config

__all__ = ["SUPPORTED_CURRENCIES", "MollieConfig", "MolliePaymentProvider", "read_mollie_config"]
