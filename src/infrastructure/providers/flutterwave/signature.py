"""Is this webhook from Flutterwave? Two header schemes, both keyed on the dashboard's "secret hash".

- v3 `verif-hash`: NOT a signature. Flutterwave sends back, verbatim, the secret hash set in the dashboard
  (https://developer.flutterwave.com/docs/webhooks). It proves who knows the
  secret, not what the body says: a captured request can be replayed or altered. That is why every event that
  gives value is re-verified through the API before we act on it (see `verification.py`).
- v4 `flutterwave-signature`: the docs disagree (PROVIDERS.md, *unconfirmed*). One page says it equals the
  secret hash like v3; another says Base64(HMAC-SHA256(secret hash, raw body)). We accept either reading.

Every comparison is constant-time and every candidate is checked (no early exit), so timing says nothing about
which reading matched or how much of a guess was right.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum

from application.errors import InvalidSignature

V3_HEADER = "verif-hash"
V4_HEADER = "flutterwave-signature"
PROVIDER = "flutterwave"


class Scheme(StrEnum):
    V3 = "v3"
    V4 = "v4"


def v4_hmac(secret_hash: str, body: bytes) -> str:
    """The HMAC reading of the v4 header: Base64(HMAC-SHA256(secret hash, raw body))."""
    digest = hmac.new(secret_hash.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(headers: Mapping[str, str], body: bytes, *secret_hashes: str) -> Scheme:
    """Returns the scheme that vouched for `body` with any of `secret_hashes` (while the hash is rotated, the old
    and the new one are both configured); raises InvalidSignature when none did."""
    hashes = [secret_hash for secret_hash in secret_hashes if secret_hash]  # an empty secret must never match
    if not hashes:
        raise InvalidSignature(PROVIDER, "no secret hash configured")
    lowered = {key.lower(): value for key, value in headers.items()}
    v3, v4 = lowered.get(V3_HEADER), lowered.get(V4_HEADER)
    if not v3 and not v4:
        raise InvalidSignature(PROVIDER, f"missing {V3_HEADER} or {V4_HEADER} header")
    v3_ok = v4_ok = False
    for secret_hash in hashes:
        expected = secret_hash.encode("utf-8")
        if v3:
            v3_ok |= hmac.compare_digest(v3.encode("utf-8"), expected)
        if v4:
            given = v4.encode("utf-8")
            v4_ok |= hmac.compare_digest(given, expected) | hmac.compare_digest(
                given, v4_hmac(secret_hash, body).encode("ascii")
            )
    if v3_ok:
        return Scheme.V3
    if v4_ok:
        return Scheme.V4
    raise InvalidSignature(PROVIDER, "the webhook's hash does not match any configured secret hash")
