"""The callback rule reads hosts as the system resolver and httpx read them, or a spelling could slip through.

`ip_literal` must take for an address exactly what getaddrinfo takes for one without asking DNS (AI_NUMERICHOST:
inet_aton's decimal, hex, octal and short forms included), and `callback_host` must name the host httpx will
connect to. Both are pinned here against the real libraries.
"""

from __future__ import annotations

import socket
from ipaddress import ip_address

import httpx
import pytest

from application.callback_addresses import callback_host, ip_literal
from tests.unit.application.test_callback_addresses import NAMES, PUBLIC, REFUSED

NUMERIC_HOSTS = sorted(
    {host.strip("[]") for host, *_ in REFUSED + PUBLIC if "%" not in host}  # a scope names an interface here
)


def system_reads_as_address(host: str) -> str | None:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return None
    return str(infos[0][4][0])


@pytest.mark.parametrize("host", NUMERIC_HOSTS)
def test_every_address_spelling_means_what_the_system_resolver_says(host: str) -> None:
    system = system_reads_as_address(host)

    assert system is not None
    assert ip_literal(host) == ip_address(system)


@pytest.mark.parametrize("host", NAMES)
def test_what_the_system_resolver_takes_for_a_name_is_a_name_here_too(host: str) -> None:
    assert system_reads_as_address(host) is None
    assert ip_literal(host) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://Orders.Example:8080/cb",
        "https://ORDERS.example/cb?x=1#y",
        "http://127\u30020\u30020\u30021/",
        "http://b\u00fccher.example/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://[::FFFF:127.0.0.1]:9000/",
        "http://[fe80::1%25eth0]/",
        "http://127.0.0.1\\@orders.example/",
    ],
)
def test_the_host_is_the_one_httpx_connects_to(url: str) -> None:
    assert callback_host(url).name == httpx.URL(url).raw_host.decode("ascii").lower()  # as httpcore gets it
