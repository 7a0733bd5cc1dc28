"""The Paystack adapter: checkout, refunds, signed webhooks and verification, behind the PaymentProvider port.

Modules: `plugin` (what the rest of the service sees), `config` (its variables), `wiring` (the adapter from its
configuration), `api` (HTTP calls and error mapping), `adapter` (the port), `events` (webhook translation and
dedupe keys), `verification` (API answers as events), `references` (payment id ⇄ transaction reference),
`signature` (HMAC-SHA512 over the raw body), `wire` (typed JSON).
"""
