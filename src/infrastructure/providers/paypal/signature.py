"""PayPal webhook signatures: the transmission headers, the signed message, and offline verification.

PayPal signs `"<transmission id>|<transmission time>|<webhook id>|<CRC32 of the raw body>"` (the CRC as an
unsigned decimal) with SHA256withRSA, the key being that of the certificate at PAYPAL-CERT-URL; the webhook id
is OURS (the one PayPal gave our subscription), so an event signed for another merchant's webhook fails here.
https://developer.paypal.com/api/rest/webhooks/rest/#link-verifysignature
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cryptography.exceptions import InvalidSignature as BadRsaSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from application.errors import InvalidSignature, ProviderError
from infrastructure.providers.paypal.certificates import PayPalCertificates, checked_cert_url
from infrastructure.providers.paypal.errors import NAME

SUPPORTED_ALGORITHM = "SHA256withRSA"


@dataclass(frozen=True, slots=True)
class Transmission:
    """The PAYPAL-* headers of one delivery (each retry is a new transmission with its own id and time)."""

    id: str
    time: str
    signature: str
    cert_url: str
    auth_algo: str

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Transmission:
        lowered = {key.lower(): value.strip() for key, value in headers.items()}
        names = ("transmission-id", "transmission-time", "transmission-sig", "cert-url", "auth-algo")
        values = [lowered.get(f"paypal-{name}", "") for name in names]
        missing = [f"PAYPAL-{name.upper()}" for name, value in zip(names, values, strict=True) if not value]
        if missing:
            raise InvalidSignature(NAME, f"missing {', '.join(missing)}")
        return cls(*values)

    def sent_at(self) -> datetime:
        try:
            sent = datetime.fromisoformat(self.time)
        except ValueError:
            raise InvalidSignature(NAME, "PAYPAL-TRANSMISSION-TIME is not an ISO 8601 time") from None
        return sent if sent.tzinfo is not None else sent.replace(tzinfo=UTC)


def signed_message(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    crc = zlib.crc32(body) & 0xFFFFFFFF  # unsigned, whatever the platform's crc32 returns
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}".encode()


def signature_matches(key: RSAPublicKey, transmission: Transmission, webhook_id: str, body: bytes) -> bool:
    try:
        signature = base64.b64decode(transmission.signature, validate=True)
        message = signed_message(transmission.id, transmission.time, webhook_id, body)
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (BadRsaSignature, binascii.Error, ValueError):
        return False
    return True


class WebhookVerifier(Protocol):
    def verify_now(self, transmission: Transmission, body: bytes) -> bool:
        """True: verified. False: cannot tell without I/O (verify_later will). Raises InvalidSignature: forged."""
        ...

    async def verify_later(self, transmission: Transmission, body: bytes) -> None:
        """Returns when verified; ProviderError when not genuine, ProviderUnavailable when PayPal is not there."""
        ...


class OfflineVerifier:
    """Verifies with the certificate's public key, fetched once per certificate URL.

    `parse_webhook` is synchronous (the port) but fetching a certificate is not. Blocking the event loop on a
    download, or answering PayPal 5xx until some background fetch finished, are both worse than this split:
    with the key cached (every webhook but the first per certificate), `verify_now` settles it in memory and a
    forgery is refused with 400 and never stored. With an unknown (but well-formed PayPal) URL it answers
    False: the event is stored as unverified and `verify_later` fetches, checks and verifies; one that fails
    is recorded as failed and never applied. Bad URLs, algorithms and headers are refused at once, before any
    fetch.
    """

    def __init__(self, webhook_id: str, certificates: PayPalCertificates) -> None:
        self._webhook_id, self._certificates = webhook_id, certificates

    def verify_now(self, transmission: Transmission, body: bytes) -> bool:
        if transmission.auth_algo != SUPPORTED_ALGORITHM:
            raise InvalidSignature(NAME, f"unsupported PAYPAL-AUTH-ALGO {transmission.auth_algo!r}")
        key = self._certificates.cached(checked_cert_url(transmission.cert_url, self._certificates.host_suffix))
        if key is None:
            return False
        if not signature_matches(key, transmission, self._webhook_id, body):
            raise InvalidSignature(NAME, "signature does not match")
        return True

    async def verify_later(self, transmission: Transmission, body: bytes) -> None:
        url = checked_cert_url(transmission.cert_url, self._certificates.host_suffix)
        key = await self._certificates.load(url)
        if not signature_matches(key, transmission, self._webhook_id, body):
            raise ProviderError(NAME, "webhook signature does not match PayPal's certificate")
