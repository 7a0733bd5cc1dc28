"""PayPal (Orders v2, OAuth2 client credentials, webhooks verified offline or by postback).

`plugin.py` is what the rest of the service sees; `config.py` reads its variables and `wiring.py` builds the
adapter from them.
"""
