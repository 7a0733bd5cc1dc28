"""The client's address: the peer, or what our trusted proxies say they forwarded for (X-Forwarded-For, read
from the right, past our own proxies); never what the client wrote itself."""

from __future__ import annotations

from typing import Any

import pytest

from interfaces.http.client_ip import UNKNOWN, client_ip, trusted_networks

PROXIES = trusted_networks(["10.0.0.0/8", "fd00::/8"])


def scope(peer: str | None, *forwarded: str) -> dict[str, Any]:
    return {
        "client": None if peer is None else (peer, 50000),
        "headers": [(b"x-forwarded-for", f.encode()) for f in forwarded],
    }


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.7", (), PROXIES, "203.0.113.7"),
        ("203.0.113.7", ("198.51.100.1",), PROXIES, "203.0.113.7"),  # an untrusted peer's header is not believed
        ("203.0.113.7", ("198.51.100.1",), (), "203.0.113.7"),  # no trusted proxies: the header is ignored
        ("10.1.2.3", ("198.51.100.1",), PROXIES, "198.51.100.1"),
        ("10.1.2.3", ("1.1.1.1, 198.51.100.1, 10.9.9.9",), PROXIES, "198.51.100.1"),  # a chain of our proxies
        ("10.1.2.3", ("1.1.1.1", "198.51.100.1"), PROXIES, "198.51.100.1"),  # the header repeated: one list
        ("10.1.2.3", ("spoofed, 198.51.100.1",), PROXIES, "198.51.100.1"),  # the client's own entries are skipped
        ("10.1.2.3", ("not-an-ip",), PROXIES, "10.1.2.3"),  # a garbled hop: believe no further
        ("10.1.2.3", (), PROXIES, "10.1.2.3"),  # from the proxy itself
        ("10.1.2.3", ("10.4.4.4",), PROXIES, "10.4.4.4"),  # only proxies: the furthest one
        ("fd00::1", ("2001:db8::5",), PROXIES, "2001:db8::5"),
        ("::ffff:203.0.113.7", (), PROXIES, "203.0.113.7"),  # IPv4-mapped: the IPv4 client
        ("10.1.2.3", ("[2001:db8::5]",), PROXIES, "2001:db8::5"),
        (None, ("198.51.100.1",), PROXIES, UNKNOWN),
    ],
)
def test_client_ip(peer: str | None, forwarded: tuple[str, ...], trusted: Any, expected: str) -> None:
    assert client_ip(scope(peer, *forwarded), trusted) == expected
