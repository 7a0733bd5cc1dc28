"""The customer's IP address and country at checkout: what the risk checks compare with blocklists and count."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from msgspec import Meta

IpAddress = Annotated[str, Meta(min_length=2, max_length=45, description="IPv4 or IPv6 address")]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2, e.g. `NG`")]


def normalized_ip(raw: str | None) -> str | None:
    """One spelling per address (`::ffff:1.2.3.4` is `1.2.3.4`), so counts and blocklists see the same key.
    A value that is no IP address is refused (msgspec reports the ValueError as a validation error)."""
    if raw is None:
        return None
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        raise ValueError(f"{raw!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
