"""The connections of order callbacks while private networks are refused: only to public addresses. And the
callback client itself, built here with or without that guard.

Checking the URL at checkout is not enough: a name can resolve to a public address then and to 10.0.0.5 when
the worker delivers (DNS rebinding), and an HTTP client resolves the name again when it connects. So the check
sits in the connection itself: `PublicAddressBackend` resolves the host, refuses the connection when any of its
addresses is not public (the rule of application/callback_addresses.py), and then connects to exactly the
address it checked. TLS and the Host header are untouched (the transport still names the host for SNI and the
certificate check), so an https receiver works as before. A refused address is never sent a single packet:
the recorded reason says nothing about what listens there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from ipaddress import ip_address
from typing import Any

import httpcore
import httpx

from application.callback_addresses import IPAddress, address_refusal, ip_literal
from application.ports.host_resolver import HostResolver
from infrastructure.callbacks.asyncio_network import AsyncioNetworkBackend, TcpOnlyBackend
from infrastructure.callbacks.callback_transport import CallbackTransport

Refusal = Callable[[IPAddress], str | None]


class CallbackAddressRefused(Exception):
    """The callback's host is, or resolves to, an address callbacks may not go to. Retrying cannot help."""

    def __init__(self, address: IPAddress, reason: str) -> None:
        super().__init__(f"callback address {address} is not public ({reason})")
        self.address, self.reason = address, reason


class PublicAddressBackend(TcpOnlyBackend):
    def __init__(
        self,
        resolver: HostResolver,
        refusal: Refusal = address_refusal,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolver, self._refusal = resolver, refusal
        self._inner = inner if inner is not None else AsyncioNetworkBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: httpcore.ConnectError | None = None
        for address in await self._checked_addresses(host):  # in the resolver's order, as a client tries them
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
        assert failure is not None  # there is at least one address
        raise failure

    async def _checked_addresses(self, host: str) -> list[IPAddress]:
        literal = ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            resolved = await self._resolver.resolve(host)
            if not resolved:  # perhaps for now only: a failed attempt, retried with backoff
                raise httpcore.ConnectError(f"{host} does not resolve")
            addresses = [ip_address(text) for text in resolved]
        for address in addresses:
            reason = self._refusal(address)
            if reason is not None:
                raise CallbackAddressRefused(address, reason)
        return addresses

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class CookielessClient(httpx.AsyncClient):
    """Keeps no cookies: a callback is a signed message, not a session, so what a receiver sets is neither kept
    nor sent back with the next callback (to it, or to another receiver of the same domain), and the one jar
    shared by every receiver the worker ever posted to cannot grow. Also spares reading every answer's
    headers into that jar (5% of the worker's CPU per callback in the `outbox` bench)."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None  # httpx's constructor sets an empty jar: there is none to set


_NO_COOKIES = _NoCookies()


def build_callback_client(resolver: HostResolver, *, allow_private_networks: bool) -> httpx.AsyncClient:
    """The client order callbacks are posted with (callback_transport.py over asyncio_network.py: the worker's
    hot path), never the providers' client. While private networks are refused it connects only to public
    addresses and ignores HTTP(S)_PROXY (`trust_env=False`): through a proxy, the address finally connected to
    could not be checked. Otherwise it honours a proxy from the environment, as the providers' client does.
    It keeps no cookies (`CookielessClient`)."""
    backend: httpcore.AsyncNetworkBackend = (
        AsyncioNetworkBackend() if allow_private_networks else PublicAddressBackend(resolver)
    )
    return CookielessClient(
        transport=CallbackTransport(backend),
        timeout=httpx.Timeout(10.0, connect=5.0),
        follow_redirects=False,
        trust_env=allow_private_networks,
    )
