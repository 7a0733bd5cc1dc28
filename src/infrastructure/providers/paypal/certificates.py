"""PayPal's webhook signing certificate: where we may fetch it from, and when we trust it.

Offline verification (https://developer.paypal.com/api/rest/webhooks/rest/#link-verifysignature) checks the
signature with the certificate named by the request's own PAYPAL-CERT-URL header, i.e. chosen by whoever sent
the request. So:
- the URL is validated before anything is fetched: https only, port 443, a host ending in `.paypal.com`
  (`paypal.com.evil.com` does not), no userinfo, query or fragment, plain ASCII; the fetched URL is rebuilt from
  the validated parts, so no other URL parser can read it differently;
- a TLS fetch from paypal.com only proves which server sent the bytes, not that PayPal vouches for the key,
  so the certificate itself must be currently valid, have a CN `messageverificationcerts….paypal.com` (the rule
  of PayPal's own SDKs) and chain, by RFC 5280 path validation (cryptography's verifier, the leaf's SAN
  covering that CN), to a trusted root. Production trusts certifi's Mozilla roots; tests pass their own CA.
A trusted key is cached by URL until the certificate expires: PayPal rarely rotates it, so nearly every
webhook is verified from memory, without I/O.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509 import DNSName
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from application.errors import InvalidSignature, ProviderError
from application.ports.clock import Clock
from infrastructure.providers.paypal.errors import NAME

CertificateSource = Callable[[str], Awaitable[bytes]]  # URL → PEM bytes (ProviderUnavailable when unreachable)

PAYPAL_HOST_SUFFIX = ".paypal.com"
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)+/?")


class UntrustedCertificate(ValueError):
    pass


def checked_cert_url(raw: str, host_suffix: str = PAYPAL_HOST_SUFFIX) -> str:
    """The URL to fetch, rebuilt from validated parts; InvalidSignature when it is not PayPal's to give."""
    if not raw.isascii() or any(c.isspace() or not c.isprintable() or c == "\\" for c in raw):
        raise _bad_url("has spaces, control or non-ASCII characters")
    parts = urlsplit(raw)
    if parts.scheme != "https":
        raise _bad_url("is not https")
    if "@" in parts.netloc:
        raise _bad_url("carries userinfo")
    try:
        port = parts.port
    except ValueError:
        raise _bad_url("has an invalid port") from None
    if port not in (None, 443):
        raise _bad_url("names a port other than 443")
    host = parts.hostname or ""
    if not host.endswith(host_suffix) or not all(_LABEL.fullmatch(label) for label in host.split(".")):
        raise _bad_url(f"is not on a host ending in {host_suffix}")
    if parts.query or parts.fragment or not _PATH.fullmatch(parts.path) or "/." in parts.path:
        raise _bad_url("has an unexpected path, query or fragment")
    return f"https://{host}{parts.path}"


def _bad_url(why: str) -> InvalidSignature:
    return InvalidSignature(NAME, f"PAYPAL-CERT-URL {why}")


@dataclass(frozen=True, slots=True)
class _Trusted:
    key: RSAPublicKey
    not_after: datetime


class PayPalCertificates:
    def __init__(
        self,
        source: CertificateSource,
        clock: Clock,
        trust_roots: Callable[[], Sequence[x509.Certificate]],
        host_suffix: str = PAYPAL_HOST_SUFFIX,
    ) -> None:
        self._source, self._clock, self._roots, self.host_suffix = source, clock, trust_roots, host_suffix
        self._cache: dict[str, _Trusted] = {}
        self._lock = asyncio.Lock()

    def cached(self, url: str) -> RSAPublicKey | None:
        trusted = self._cache.get(url)
        if trusted is None:
            return None
        if self._clock.now() >= trusted.not_after:  # expired: the URL may serve a renewed certificate
            del self._cache[url]
            return None
        return trusted.key

    async def load(self, url: str) -> RSAPublicKey:
        """Fetches and checks the certificate at a checked URL; ProviderError when it is not to be trusted."""
        async with self._lock:  # one fetch per URL, however many events arrive with it at once
            key = self.cached(url)
            if key is not None:
                return key
            pem = await self._source(url)
            try:
                trusted = trusted_key(pem, self._roots(), self._clock.now())
            except UntrustedCertificate as error:
                raise ProviderError(NAME, f"certificate at {url} is not trusted: {error}") from None
            self._cache[url] = trusted
            return trusted.key


def trusted_key(pem: bytes, roots: Sequence[x509.Certificate], now: datetime) -> _Trusted:
    try:
        leaf, *chain = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise UntrustedCertificate("not a PEM certificate") from None
    if not leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc:
        valid = f"{leaf.not_valid_before_utc:%Y-%m-%d} to {leaf.not_valid_after_utc:%Y-%m-%d}"
        raise UntrustedCertificate(f"not valid now (valid {valid})")
    names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = str(names[0].value) if names else ""
    if not (cn.startswith("messageverificationcerts") and cn.endswith(PAYPAL_HOST_SUFFIX)):
        raise UntrustedCertificate(f"CN {cn!r} is not PayPal's message verification certificate")
    key = leaf.public_key()
    if not isinstance(key, RSAPublicKey):
        raise UntrustedCertificate("the key is not RSA")
    try:
        verifier = PolicyBuilder().store(Store(list(roots))).time(now).build_server_verifier(DNSName(cn))
        verifier.verify(leaf, chain)
    except (VerificationError, ValueError) as error:
        raise UntrustedCertificate(f"does not chain to a trusted root ({error})") from None
    return _Trusted(key, leaf.not_valid_after_utc)
