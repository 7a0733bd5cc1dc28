"""Where an order callback may go: the one rule, pure (no I/O), used at checkout, at start-up and at connect time.

A callback is a POST this service makes for a client, retried for days, with every error recorded. Pointed at
our own network it would let any key with `payments:write` reach what only we can reach (the cloud metadata
service, the database, an admin port) and read the results back as a port scanner. So, unless private networks
are allowed, a callback goes only to a public address: not loopback, link-local, private, shared (CGNAT),
multicast, broadcast, documentation, benchmarking, reserved or unspecified. IPv6 addresses that carry an IPv4
one (IPv4-mapped, NAT64, 6to4) are judged by the address they carry.

The ranges are listed here rather than left to `ipaddress.is_global` alone: its tables changed between Python
patch releases (3.11.7 calls 224.0.0.1, fec0::1 and ::127.0.0.1 global), and a security rule must not move
with the interpreter. `is_global` and `is_reserved` remain the backstop for anything the table does not name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

from application.errors import CallbackUrlRefused

IPAddress = IPv4Address | IPv6Address

_IPV4_RANGES = tuple(
    (IPv4Network(network), label)
    for network, label in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),  # the former 6to4 relay anycast
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved"),  # benchmarking
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),  # before 240.0.0.0/4, which holds it
        ("240.0.0.0/4", "reserved"),
    )
)
_IPV6_RANGES = tuple(
    (IPv6Network(network), label)
    for network, label in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/8", "reserved"),  # IPv4-compatible (deprecated) and unassigned; IPv4-mapped is unwrapped first
        ("64:ff9b:1::/48", "reserved"),  # local-use NAT64
        ("100::/64", "reserved"),  # discard
        ("2001::/23", "reserved"),  # IETF protocol assignments: Teredo, benchmarking, ORCHID
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "private"),  # unique local
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
_NAT64 = IPv6Network("64:ff9b::/96")


def address_refusal(address: IPAddress) -> str | None:
    """Why a callback may not go to `address` ("loopback", "private", …), or None when the address is public."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = address_refusal(embedded)
            return None if reason is None else f"{reason}: it carries {embedded}"
        ranges: Sequence[tuple[IPv4Network | IPv6Network, str]] = _IPV6_RANGES
    else:
        ranges = _IPV4_RANGES
    for network, label in ranges:
        if address in network:
            return label
    if address.is_reserved or not address.is_global:
        return "reserved"
    return None


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 one is a wrapper of: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or
    6to4 (2002:aabb:ccdd::); a connection to the wrapper reaches (or is translated to) that address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


# one part of a numeric IPv4 host as inet_aton (and so getaddrinfo) reads it: 0x… hex, 0… octal, else decimal
_ATON_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


def ip_literal(host: str) -> IPAddress | None:
    """The address a host written as a number stands for, or None for a name. Besides the usual spellings this
    reads what the system resolver reads as IPv4 (inet_aton): `2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`."""
    try:
        return ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_ATON_PART.fullmatch(part) for part in parts):
        return None
    values = [_aton_value(part) for part in parts]
    *leading, last = values
    if any(value > 0xFF for value in leading) or last >= 1 << (8 * (5 - len(values))):
        return None
    number = last
    for index, value in enumerate(leading):  # a short form's last part fills the remaining bytes
        number |= value << (8 * (3 - index))
    return IPv4Address(number)


def _aton_value(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8) if part.startswith("0") else int(part)


@dataclass(frozen=True, slots=True)
class CallbackHost:
    name: str  # lower case ASCII (IDNA), as the HTTP client looks it up
    address: IPAddress | None  # set when the host is an address, in any spelling


def callback_host(url: str) -> CallbackHost:
    """The host a callback to `url` connects to. Raises CallbackUrlRefused for anything but an http(s) URL."""
    try:
        parts = urlsplit(url)
        name, _ = parts.hostname, parts.port  # `port` raises ValueError for one out of range
    except ValueError:
        raise CallbackUrlRefused("is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise CallbackUrlRefused("must be an http or https URL")
    if not name:
        raise CallbackUrlRefused("has no host")
    if not name.isascii():  # as the HTTP client does: 127。0。0。1 (ideographic full stops) is 127.0.0.1
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise CallbackUrlRefused("has a host name that is not valid") from None
    return CallbackHost(name, ip_literal(name))


def destination_refusal(host: CallbackHost, resolved: Sequence[str]) -> str | None:
    """Why a callback may not go to `host`, given what its name resolved to (ignored for an address); None
    when it may. Every address a name resolves to must be public: the client may connect to any of them."""
    if host.address is not None:
        reason = address_refusal(host.address)
        return None if reason is None else f"the address {host.address} is not public ({reason})"
    if not resolved:
        return f"the host {host.name} does not resolve"
    for text in resolved:
        reason = address_refusal(ip_address(text))
        if reason is not None:  # the address itself is not told: it is the name's owner's, not the client's
            return f"the host {host.name} resolves to an address that is not public ({reason})"
    return None
