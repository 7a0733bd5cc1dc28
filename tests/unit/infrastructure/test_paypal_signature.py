"""PayPal offline webhook verification: the signed message, the certificate URL rules, the certificate checks,
and the split between verifying now (cached key) and later (fetch first). Certificates come from a test CA;
the "download" is an in-memory source, so these tests do no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from application.errors import InvalidSignature, ProviderError
from infrastructure.providers.paypal.certificates import PayPalCertificates, checked_cert_url
from infrastructure.providers.paypal.signature import OfflineVerifier, Transmission, signed_message
from infrastructure.providers.paypal.webhooks import PayPalWebhooks, UnverifiedEvent
from tests.provider_fakes.paypal import (
    CERT_URL,
    SIGNING_CN,
    WEBHOOK_ID,
    Pki,
    default_pki,
    make_pki,
    new_key,
    pem,
    self_signed,
    sign_webhook,
    webhook_event,
)
from tests.unit.fakes import FakeClock

BODY = webhook_event("PAYMENT.CAPTURE.COMPLETED", {"id": "CAP1", "status": "COMPLETED", "custom_id": "pay_1"})


@dataclass
class Served:
    """A certificate "download": what each URL serves, and which URLs were asked for."""

    pem_by_url: dict[str, bytes]
    fetched: list[str] = field(default_factory=list)

    async def __call__(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem_by_url[url]


@pytest.fixture
def pki() -> Pki:
    return default_pki()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


def verifier(pki: Pki, clock: FakeClock, served: bytes | None = None) -> tuple[OfflineVerifier, Served]:
    source = Served({CERT_URL: served if served is not None else pki.chain_pem()})
    certificates = PayPalCertificates(source, clock, lambda: [pki.root])
    return OfflineVerifier(WEBHOOK_ID, certificates), source


def transmission(headers: dict[str, str]) -> Transmission:
    return Transmission.from_headers(headers)


async def test_a_genuine_event_is_verified_after_one_fetch_then_from_the_cache(pki: Pki, clock: FakeClock) -> None:
    check, source = verifier(pki, clock)
    first = transmission(sign_webhook(BODY, pki.leaf_key))

    assert check.verify_now(first, BODY) is False  # key unknown: cannot tell without I/O
    await check.verify_later(first, BODY)
    second_body = webhook_event("PAYMENT.CAPTURE.DENIED", {"id": "CAP2", "status": "DECLINED"})
    assert check.verify_now(transmission(sign_webhook(second_body, pki.leaf_key)), second_body) is True
    assert source.fetched == [CERT_URL]


async def test_a_tampered_byte_fails_both_ways(pki: Pki, clock: FakeClock) -> None:
    check, _ = verifier(pki, clock)
    headers = transmission(sign_webhook(BODY, pki.leaf_key))
    tampered = BODY.replace(b'"pay_1"', b'"pay_2"')

    with pytest.raises(ProviderError, match="does not match"):
        await check.verify_later(headers, tampered)  # unknown key: fetched, then refused
    with pytest.raises(InvalidSignature, match="does not match"):
        check.verify_now(headers, tampered)  # now cached: refused at once, nothing stored


@pytest.mark.parametrize(
    "forgery",
    [
        pytest.param({"key": "other"}, id="signed-with-another-key"),
        pytest.param({"webhook_id": "WH-SOMEONE-ELSES"}, id="signed-for-another-webhook-id"),
        pytest.param({"transmission": "changed"}, id="transmission-id-changed-after-signing"),
    ],
)
async def test_forgeries_with_paypals_certificate_are_refused(
    pki: Pki, clock: FakeClock, forgery: dict[str, str]
) -> None:
    check, _ = verifier(pki, clock)
    await check.verify_later(transmission(sign_webhook(BODY, pki.leaf_key)), BODY)  # the certificate is cached
    key = new_key() if forgery.get("key") else pki.leaf_key
    headers = sign_webhook(BODY, key, webhook_id=forgery.get("webhook_id", WEBHOOK_ID))
    if forgery.get("transmission"):
        headers["PAYPAL-TRANSMISSION-ID"] = "another-transmission"

    with pytest.raises(InvalidSignature):
        check.verify_now(transmission(headers), BODY)


async def test_a_signature_that_is_not_base64_is_refused(pki: Pki, clock: FakeClock) -> None:
    check, _ = verifier(pki, clock)
    headers = sign_webhook(BODY, pki.leaf_key)
    await check.verify_later(transmission(headers), BODY)

    with pytest.raises(InvalidSignature):
        check.verify_now(transmission({**headers, "PAYPAL-TRANSMISSION-SIG": "not base64!"}), BODY)


def _expired(pki: Pki) -> bytes:
    now = datetime.now(UTC)
    return pki.chain_pem(pki.issue(not_before=now - timedelta(days=400), not_after=now - timedelta(days=1)))


def _not_yet_valid(pki: Pki) -> bytes:
    now = datetime.now(UTC)
    return pki.chain_pem(pki.issue(not_before=now + timedelta(days=1), not_after=now + timedelta(days=90)))


@pytest.mark.parametrize(
    ("served", "reason"),
    [
        pytest.param(_expired, "not valid now", id="expired"),
        pytest.param(_not_yet_valid, "not valid now", id="not-yet-valid"),
        pytest.param(lambda p: p.chain_pem(p.issue("api.paypal.com")), "CN 'api.paypal.com'", id="wrong-cn"),
        pytest.param(
            lambda p: p.chain_pem(p.issue("messageverificationcerts.paypal.com.evil.com")), "CN", id="cn-suffix-trick"
        ),
        pytest.param(lambda p: pem(self_signed(key=p.leaf_key)), "does not chain", id="self-signed-right-name"),
        pytest.param(lambda p: pem(p.leaf), "does not chain", id="leaf-without-its-intermediate"),
        pytest.param(lambda p: b"<html>not a certificate</html>", "not a PEM", id="not-pem"),
    ],
)
async def test_untrustworthy_certificates_are_refused_and_not_cached(
    pki: Pki, clock: FakeClock, served: object, reason: str
) -> None:
    assert callable(served)
    check, source = verifier(pki, clock, served(pki))
    headers = transmission(sign_webhook(BODY, pki.leaf_key))

    with pytest.raises(ProviderError, match=reason):
        await check.verify_later(headers, BODY)
    assert check.verify_now(headers, BODY) is False  # nothing cached: still unverified
    assert source.fetched == [CERT_URL]


async def test_a_certificate_from_another_ca_is_refused(pki: Pki, clock: FakeClock) -> None:
    other = make_pki("Some Other Root")  # right name, proper chain, but not a root we trust
    check, _ = verifier(pki, clock, other.chain_pem())

    with pytest.raises(ProviderError, match="does not chain to a trusted root"):
        await check.verify_later(transmission(sign_webhook(BODY, other.leaf_key)), BODY)


async def test_a_cached_certificate_is_dropped_when_it_expires(pki: Pki, clock: FakeClock) -> None:
    check, source = verifier(pki, clock)
    headers = transmission(sign_webhook(BODY, pki.leaf_key))
    await check.verify_later(headers, BODY)

    clock.set(pki.leaf.not_valid_after_utc + timedelta(seconds=1))
    assert check.verify_now(headers, BODY) is False  # unknown again: must be fetched and checked anew
    with pytest.raises(ProviderError, match="not valid now"):
        await check.verify_later(headers, BODY)
    assert source.fetched == [CERT_URL, CERT_URL]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (CERT_URL, CERT_URL),
        ("https://api.paypal.com/v1/notifications/certs/CERT-1", "https://api.paypal.com/v1/notifications/certs/CERT-1"),
        ("https://api-m.paypal.com:443/v1/notifications/certs/CERT-1", "https://api-m.paypal.com/v1/notifications/certs/CERT-1"),
        ("https://API.PayPal.com/v1/notifications/certs/CERT-1", "https://api.paypal.com/v1/notifications/certs/CERT-1"),
    ],
)  # fmt: skip
def test_paypal_certificate_urls_are_accepted(url: str, canonical: str) -> None:
    assert checked_cert_url(url) == canonical


@pytest.mark.parametrize(
    "url",
    [
        "http://api.paypal.com/v1/notifications/certs/CERT-1",  # not TLS
        "https://paypal.com.evil.com/v1/notifications/certs/CERT-1",  # suffix trick
        "https://api.paypal.com.evil.com/cert",
        "https://evilpaypal.com/cert",  # ends in paypal.com, not .paypal.com
        "https://paypal.com/cert",
        "https://evil.com/cert",
        "https://api.paypal.com@evil.com/cert",  # userinfo: the host is evil.com
        "https://user:pass@api.paypal.com/cert",
        "https://evil.com\\@api.paypal.com/cert",  # parser confusion
        "https://evil.com#@api.paypal.com/cert",
        "https://evil.com?@api.paypal.com/cert",
        "https://api.paypal.com:8443/cert",  # another port
        "https://api.paypal.com:443@evil.com/cert",
        "https://api.paypal.com:abc/cert",
        "https://api.paypal.com./cert",  # trailing dot
        "https://api%2epaypal.com/cert",
        "https://api.paypal.com\u3002evil.com/cert",  # ideographic full stop
        "https://api.paypal.com/cert?next=https://evil.com",
        "https://api.paypal.com/cert#fragment",
        "https://api.paypal.com/../cert",
        "https://api.paypal.com/cert\nHost: evil.com",  # header injection
        "https://api.paypal.com",  # no path
        "//api.paypal.com/cert",
        "ftp://api.paypal.com/cert",
        "",
    ],
)
def test_other_certificate_urls_are_refused_before_any_fetch(pki: Pki, clock: FakeClock, url: str) -> None:
    with pytest.raises(InvalidSignature, match="PAYPAL-CERT-URL"):
        checked_cert_url(url)
    check, source = verifier(pki, clock)
    headers = sign_webhook(BODY, pki.leaf_key, cert_url=url or "x")
    with pytest.raises(InvalidSignature):
        check.verify_now(transmission(headers), BODY)
    assert source.fetched == []


@pytest.mark.parametrize(
    "header",
    ["PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME", "PAYPAL-TRANSMISSION-SIG", "PAYPAL-CERT-URL", "PAYPAL-AUTH-ALGO"],
)  # fmt: skip
@pytest.mark.parametrize("how", ["absent", "blank"])
def test_a_missing_header_is_an_invalid_signature(pki: Pki, header: str, how: str) -> None:
    headers = sign_webhook(BODY, pki.leaf_key)
    if how == "absent":
        del headers[header]
    else:
        headers[header] = "  "
    with pytest.raises(InvalidSignature, match=header):
        Transmission.from_headers(headers)


def test_header_names_are_case_insensitive(pki: Pki) -> None:
    headers = {k.lower(): v for k, v in sign_webhook(BODY, pki.leaf_key).items()}
    assert Transmission.from_headers(headers).cert_url == CERT_URL


def test_an_unsupported_algorithm_is_refused_before_any_fetch(pki: Pki, clock: FakeClock) -> None:
    check, source = verifier(pki, clock)
    headers = {**sign_webhook(BODY, pki.leaf_key), "PAYPAL-AUTH-ALGO": "SHA1withRSA"}
    with pytest.raises(InvalidSignature, match="PAYPAL-AUTH-ALGO"):
        check.verify_now(transmission(headers), BODY)
    assert source.fetched == []


def test_the_crc32_is_signed_as_an_unsigned_decimal() -> None:
    # crc32(b"a") is 0xE8B7BE43: as a signed 32-bit integer (Java, older PHP) it would read -407536153.
    assert signed_message("tid", "2025-01-15T12:00:00Z", "WH-ID", b"a") == b"tid|2025-01-15T12:00:00Z|WH-ID|3904355907"
    assert signed_message("t", "x", "w", b"") == b"t|x|w|0"


@pytest.mark.parametrize(
    ("sent", "allowed"),
    [(timedelta(days=-3), True), (timedelta(days=-4), False), (timedelta(minutes=10), True), (timedelta(hours=1), False)],
)  # fmt: skip
async def test_transmissions_outside_the_window_are_refused(
    pki: Pki, clock: FakeClock, sent: timedelta, allowed: bool
) -> None:
    check, _ = verifier(pki, clock)
    webhooks = PayPalWebhooks(check, clock)
    headers = sign_webhook(BODY, pki.leaf_key, sent_at=clock.now() + sent)
    if allowed:
        assert isinstance(webhooks.parse(headers, BODY), UnverifiedEvent)
    else:
        with pytest.raises(InvalidSignature, match="transmission"):
            webhooks.parse(headers, BODY)


def test_an_unreadable_transmission_time_is_refused(pki: Pki, clock: FakeClock) -> None:
    webhooks = PayPalWebhooks(verifier(pki, clock)[0], clock)
    headers = {**sign_webhook(BODY, pki.leaf_key), "PAYPAL-TRANSMISSION-TIME": "yesterday"}
    with pytest.raises(InvalidSignature, match="TRANSMISSION-TIME"):
        webhooks.parse(headers, BODY)


async def test_an_unverified_event_acts_on_nothing_until_confirmed(pki: Pki, clock: FakeClock) -> None:
    webhooks = PayPalWebhooks(verifier(pki, clock)[0], clock)
    headers = sign_webhook(BODY, pki.leaf_key)

    pending = webhooks.parse(headers, BODY)
    assert isinstance(pending, UnverifiedEvent)
    assert (pending.needs_confirmation, pending.action, pending.payment_id) == (True, "none", None)
    verified = await webhooks.verified(pending)
    assert (verified.action, verified.payment_id, verified.needs_confirmation) == ("payment_succeeded", "pay_1", False)
    again = webhooks.parse(headers, BODY)  # the certificate is cached now: verified at once
    assert not isinstance(again, UnverifiedEvent)
    assert again.action == "payment_succeeded"


def test_the_test_pki_is_what_paypal_serves(pki: Pki) -> None:
    """Guards the fixture itself: leaf then intermediate, the leaf named as PayPal names it."""
    leaf, intermediate = x509.load_pem_x509_certificates(pki.chain_pem())
    assert leaf.subject.rfc4514_string().startswith(f"CN={SIGNING_CN}")
    assert leaf.issuer == intermediate.subject
    assert intermediate.issuer == pki.root.subject
