"""The simulator: a payment provider inside the service, for development and demos (`adapter.py` says how it
behaves). `plugin.py` is what the rest of the service sees; `config.py` reads its variables; `wiring.py` builds
the one instance the container keeps, which the registry and the simulator's pages share."""
