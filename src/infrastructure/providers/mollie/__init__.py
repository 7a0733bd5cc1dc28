"""Mollie, the fifth provider: hosted checkout, refunds, and unsigned `id=tr_…` webhooks answered by fetching.

Modules: `plugin` (how the service sees it: one line in providers/catalogue.py registers it), `wiring` (the
adapter from its config), `config` (PAYMENTS_MOLLIE_* → MollieConfig, with problem lines), `api` (HTTP calls and
error mapping), `adapter` (the port: a webhook is a notice the processor follows with `lookup_payment` /
`lookup_refund`), `events` (a fetched payment and its refunds → ProviderEvents), `notification` (the webhook
body), `bodies` (what we POST), `amounts` (minor units ↔ `{"currency", "value"}`), `wire` (typed JSON).
"""
