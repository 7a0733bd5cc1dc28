"""Where callbacks may go: every spelling of an address, every range that is not public, and what must pass."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from application.callback_addresses import address_refusal, callback_host, destination_refusal, ip_literal
from application.callback_destinations import CallbackDestinations
from application.errors import CallbackUrlRefused
from tests.unit.fakes import FakeResolver

# (host as written in the URL, the address it means, why callbacks may not go there)
REFUSED = [
    # loopback, in every spelling the system resolver (inet_aton) reads
    ("127.0.0.1", "127.0.0.1", "loopback"),
    ("2130706433", "127.0.0.1", "loopback"),
    ("0x7f000001", "127.0.0.1", "loopback"),
    ("017700000001", "127.0.0.1", "loopback"),
    ("0x7f.1", "127.0.0.1", "loopback"),
    ("0177.0.0.1", "127.0.0.1", "loopback"),
    ("0x7F.0.0.0x1", "127.0.0.1", "loopback"),
    ("127.1", "127.0.0.1", "loopback"),
    ("127.0.1", "127.0.0.1", "loopback"),
    ("127.255.255.254", "127.255.255.254", "loopback"),
    ("[::1]", "::1", "loopback"),
    ("[0:0:0:0:0:0:0:1]", "::1", "loopback"),
    # unspecified ("this host")
    ("0.0.0.0", "0.0.0.0", "unspecified"),
    ("0", "0.0.0.0", "unspecified"),
    ("0x0", "0.0.0.0", "unspecified"),
    ("[::]", "::", "unspecified"),
    # link-local: the cloud metadata service
    ("169.254.169.254", "169.254.169.254", "link-local"),
    ("2852039166", "169.254.169.254", "link-local"),
    ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254", "link-local"),
    ("[fe80::1]", "fe80::1", "link-local"),
    ("[fe80::1%25eth0]", "fe80::1%25eth0", "link-local"),
    # private (RFC 1918, unique local) and shared (RFC 6598)
    ("10.0.0.5", "10.0.0.5", "private"),
    ("012.0.0.5", "10.0.0.5", "private"),
    ("172.16.0.1", "172.16.0.1", "private"),
    ("172.31.255.255", "172.31.255.255", "private"),
    ("192.168.1.1", "192.168.1.1", "private"),
    ("3232235777", "192.168.1.1", "private"),
    ("[fc00::1]", "fc00::1", "private"),
    ("[fd12:3456:789a::1]", "fd12:3456:789a::1", "private"),
    ("100.64.0.1", "100.64.0.1", "shared"),
    ("100.127.255.254", "100.127.255.254", "shared"),
    # multicast, broadcast
    ("224.0.0.1", "224.0.0.1", "multicast"),
    ("239.255.255.250", "239.255.255.250", "multicast"),
    ("[ff02::1]", "ff02::1", "multicast"),
    ("[ff0e::1]", "ff0e::1", "multicast"),
    ("255.255.255.255", "255.255.255.255", "broadcast"),
    ("4294967295", "255.255.255.255", "broadcast"),
    # documentation
    ("192.0.2.1", "192.0.2.1", "documentation"),
    ("198.51.100.7", "198.51.100.7", "documentation"),
    ("203.0.113.9", "203.0.113.9", "documentation"),
    ("[2001:db8::1]", "2001:db8::1", "documentation"),
    ("[3fff::1]", "3fff::1", "documentation"),
    # reserved
    ("240.0.0.1", "240.0.0.1", "reserved"),
    ("198.18.0.1", "198.18.0.1", "reserved"),
    ("192.0.0.8", "192.0.0.8", "reserved"),
    ("192.88.99.1", "192.88.99.1", "reserved"),
    ("[fec0::1]", "fec0::1", "site-local"),
    ("[::127.0.0.1]", "::7f00:1", "reserved"),  # IPv4-compatible, deprecated
    ("[100::1]", "100::1", "reserved"),
    ("[2001::1]", "2001::1", "reserved"),  # Teredo
    ("[64:ff9b:1::1]", "64:ff9b:1::1", "reserved"),
    ("[5f00::1]", "5f00::1", "reserved"),
    # IPv6 addresses that carry an IPv4 one are judged by it
    ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1", "loopback: it carries 127.0.0.1"),
    ("[::ffff:7f00:1]", "::ffff:127.0.0.1", "loopback: it carries 127.0.0.1"),
    ("[::ffff:169.254.169.254]", "::ffff:169.254.169.254", "link-local: it carries 169.254.169.254"),
    ("[::ffff:10.0.0.5]", "::ffff:10.0.0.5", "private: it carries 10.0.0.5"),
    ("[64:ff9b::127.0.0.1]", "64:ff9b::7f00:1", "loopback: it carries 127.0.0.1"),
    ("[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe", "link-local: it carries 169.254.169.254"),
    ("[2002:7f00:1::]", "2002:7f00:1::", "loopback: it carries 127.0.0.1"),
    ("[2002:c0a8:101::1]", "2002:c0a8:101::1", "private: it carries 192.168.1.1"),
]

PUBLIC = [
    ("93.184.216.34", "93.184.216.34"),
    ("1572395042", "93.184.216.34"),
    ("0x5d.0xb8.0xd8.0x22", "93.184.216.34"),
    ("8.8.8.8", "8.8.8.8"),
    ("1.1.1.1", "1.1.1.1"),
    ("100.128.0.1", "100.128.0.1"),  # just past the shared range
    ("172.32.0.1", "172.32.0.1"),  # just past 172.16.0.0/12
    ("[2606:2800:220:1::]", "2606:2800:220:1::"),
    ("[2001:4860:4860::8888]", "2001:4860:4860::8888"),
    ("[::ffff:93.184.216.34]", "::ffff:93.184.216.34"),
    ("[64:ff9b::808:808]", "64:ff9b::808:808"),  # NAT64 of 8.8.8.8
    ("[2002:5db8:d822::1]", "2002:5db8:d822::1"),  # 6to4 of 93.184.216.34
]

NAMES = ["localhost", "orders.example", "1.2.3.4.5", "09", "0x7g.1", "4294967296", "256.1.1.1.", "127.0.0.1."]


@pytest.mark.parametrize(("host", "address", "reason"), REFUSED)
def test_every_spelling_of_an_address_that_is_not_public_is_refused(host: str, address: str, reason: str) -> None:
    target = callback_host(f"https://{host}:8443/callbacks")

    assert target.address == ip_address(address)
    assert address_refusal(ip_address(address)) == reason
    assert destination_refusal(target, ()) == f"the address {target.address} is not public ({reason})"


@pytest.mark.parametrize(("host", "address"), PUBLIC)
def test_public_addresses_pass_in_any_spelling(host: str, address: str) -> None:
    target = callback_host(f"http://{host}/callbacks")

    assert target.address == ip_address(address)
    assert address_refusal(ip_address(address)) is None
    assert destination_refusal(target, ()) is None


@pytest.mark.parametrize("host", NAMES)
def test_host_names_are_not_taken_for_addresses(host: str) -> None:
    assert ip_literal(host) is None
    assert callback_host(f"http://{host}/").address is None


def test_a_name_passes_only_when_every_address_it_resolves_to_is_public() -> None:
    host = callback_host("https://Orders.Example/callbacks")

    assert host.name == "orders.example"
    assert destination_refusal(host, ("93.184.216.34", "2606:2800:220:1::")) is None
    assert (
        destination_refusal(host, ("93.184.216.34", "10.0.0.5"))
        == "the host orders.example resolves to an address that is not public (private)"
    )
    assert destination_refusal(host, ()) == "the host orders.example does not resolve"


def test_a_host_in_other_scripts_is_read_as_the_http_client_reads_it() -> None:
    assert callback_host("http://127\u30020\u30020\u30021/").address == ip_address("127.0.0.1")  # ideographic stops
    assert callback_host("http://b\u00fccher.example/").name == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://orders.example/callbacks", "must be an http or https URL"),
        ("file:///etc/passwd", "must be an http or https URL"),
        ("gopher://127.0.0.1:6379/_INFO", "must be an http or https URL"),
        ("http:///callbacks", "has no host"),
        ("http://[::1/callbacks", "is not a valid URL"),
        ("http://orders.example:99999/", "is not a valid URL"),
    ],
)
def test_only_http_and_https_urls_with_a_host_are_taken(url: str, reason: str) -> None:
    with pytest.raises(CallbackUrlRefused) as refused:
        callback_host(url)
    assert refused.value.reason == reason


async def test_with_private_networks_allowed_nothing_is_resolved_but_the_scheme_still_counts() -> None:
    resolver = FakeResolver()
    destinations = CallbackDestinations(resolver, allow_private_networks=True)

    await destinations.check("http://127.0.0.1:9000/callbacks")
    await destinations.check("https://receiver.internal/callbacks")
    with pytest.raises(CallbackUrlRefused):
        await destinations.check("ftp://127.0.0.1/callbacks")
    assert resolver.asked == []


async def test_with_private_networks_refused_names_are_resolved_and_judged() -> None:
    resolver = FakeResolver({"orders.example": ("93.184.216.34",), "rebind.example": ("93.184.216.34", "10.1.2.3")})
    destinations = CallbackDestinations(resolver, allow_private_networks=False)

    await destinations.check("https://ORDERS.example/callbacks")
    for url, reason in [
        ("https://rebind.example/cb", "the host rebind.example resolves to an address that is not public (private)"),
        ("https://unknown.example/cb", "the host unknown.example does not resolve"),
        ("http://0x7f.1:9000/cb", "the address 127.0.0.1 is not public (loopback)"),
    ]:
        with pytest.raises(CallbackUrlRefused) as refused:
            await destinations.check(url)
        assert refused.value.reason == reason
    assert resolver.asked == ["orders.example", "rebind.example", "unknown.example"]  # never an address
