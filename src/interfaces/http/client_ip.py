"""Who sent a request: the peer address, or, when the peer is one of our trusted proxies
(PAYMENTS_TRUSTED_PROXIES), the address that proxy says it forwarded for.

`X-Forwarded-For` is a list each proxy appends its peer to, so only its right end is written by proxies we run:
walking it from the right, past our own proxies, the first address that is not one of them is the client. What
lies left of it was written by the client and is never believed. With no trusted proxies configured the header
is ignored altogether (anyone could send it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"  # no peer address (a test client, a Unix socket): these share one budget


def trusted_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def client_ip(scope: Mapping[str, Any], trusted: Sequence[Network]) -> str:
    peer = _address((scope.get("client") or (None,))[0])
    if peer is None:
        return UNKNOWN
    if not trusted or not _within(peer, trusted):
        return str(peer)
    hops = [hop.strip() for value in _forwarded_for(scope) for hop in value.split(",")]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # a proxy of ours wrote something that is no address: believe no further
        client = address
        if not _within(address, trusted):
            break
    return str(client)


def _forwarded_for(scope: Mapping[str, Any]) -> list[str]:
    return [value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"x-forwarded-for"]


def _address(text: object) -> Address | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address  # ::ffff:203.0.113.7 is the IPv4 client 203.0.113.7


def _within(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in networks)
