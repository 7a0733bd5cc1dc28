"""Where PayPal's signing certificates come from in production: an HTTPS GET, trusted against Mozilla's roots.

Both are constructor arguments of `PayPalCertificates`, so tests serve a certificate made by their own CA
from a local fake, while the URL rules (`checked_cert_url`) stay exactly those of production.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import certifi
import httpx
from cryptography import x509

from application.errors import ProviderError
from infrastructure.providers.paypal.errors import NAME, refusal, unreachable

MAX_PEM_BYTES = 64 * 1024  # a leaf and its intermediates are a few KB; anything bigger is not a certificate


class HttpCertificateSource:
    def __init__(self, http: httpx.AsyncClient, timeout: float) -> None:
        self._http, self._timeout = http, timeout

    async def __call__(self, url: str) -> bytes:
        try:
            # No redirects: a redirect could leave paypal.com, and the URL was checked, not its target.
            response = await self._http.get(url, timeout=self._timeout, follow_redirects=False)
        except httpx.HTTPError as error:
            raise unreachable(error, "certificate download") from None
        if response.status_code != 200:
            raise refusal(response, f"certificate download from {url}")
        if len(response.content) > MAX_PEM_BYTES:
            raise ProviderError(NAME, f"certificate at {url} is larger than {MAX_PEM_BYTES} bytes")
        return response.content


@functools.cache
def mozilla_roots() -> tuple[x509.Certificate, ...]:
    """certifi's CA bundle (httpx's own trust store), read once on first use rather than at start-up.

    Certificates in it that this cryptography version cannot parse are skipped: a root we cannot read is a
    root we do not trust, which fails closed."""
    roots = []
    for block in Path(certifi.where()).read_bytes().split(b"-----END CERTIFICATE-----"):
        if b"-----BEGIN CERTIFICATE-----" not in block:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # some old roots have non-positive serials (deprecated, still valid)
            try:
                roots.append(x509.load_pem_x509_certificate(block + b"-----END CERTIFICATE-----\n"))
            except ValueError:
                continue
    return tuple(roots)
