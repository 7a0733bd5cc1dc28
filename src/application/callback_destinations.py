"""The checkout's check of a `callback_url`: the rule of callback_addresses.py, names resolved through the port."""

from __future__ import annotations

from application.callback_addresses import callback_host, destination_refusal
from application.errors import CallbackUrlRefused
from application.ports.host_resolver import HostResolver


class CallbackDestinations:
    """`allow_private_networks` is PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS: true in development, so a receiver on
    the developer's machine works; then only the scheme is checked and nothing is resolved.

    This check keeps a refused URL out of the store. It cannot stop a name that resolves elsewhere by the time
    the worker delivers (DNS rebinding): the callback client checks again at connect time.
    """

    def __init__(self, resolver: HostResolver, *, allow_private_networks: bool) -> None:
        self._resolver, self._allow_private = resolver, allow_private_networks

    async def check(self, url: str) -> None:
        """Raises CallbackUrlRefused, with the reason, when a callback may not go to `url`."""
        host = callback_host(url)
        if self._allow_private:
            return
        resolved = () if host.address is not None else await self._resolver.resolve(host.name)
        reason = destination_refusal(host, resolved)
        if reason is not None:
            raise CallbackUrlRefused(reason)


class _NoResolver:
    async def resolve(self, host: str) -> tuple[str, ...]:
        return ()


# the default of handlers built without the composition root (tests, scripts): any http(s) URL, no lookups
PRIVATE_NETWORKS_ALLOWED = CallbackDestinations(_NoResolver(), allow_private_networks=True)
