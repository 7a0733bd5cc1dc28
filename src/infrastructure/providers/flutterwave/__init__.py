"""Flutterwave (API v3; v3 and v4 webhooks). `plugin.py` is what the rest of the service sees; `config.py` reads
its variables and `wiring.py` builds the adapter from them."""
