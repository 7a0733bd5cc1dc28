"""Stripe (hosted Checkout, official SDK on the service's HTTPX client).

`plugin.py` is what the rest of the service sees (registered in `providers/catalogue.py`); `config.py` reads its
variables; `wiring.py` builds the adapter (`adapter.py`), importing the SDK only when Stripe is enabled.
"""
