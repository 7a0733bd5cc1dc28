"""Paystack's webhook signature: `x-paystack-signature` is the hex HMAC-SHA512 of the raw body, keyed with the
API secret key (https://paystack.com/docs/payments/webhooks/#verify-event-origin).

Nothing in it is dated, so a captured request stays valid forever: the inbox's dedupe key is the only replay
defence (see events.py). Paystack sends lower-case hex; we compare case-insensitively because the hex digits
carry the same value either way, and in constant time so timing says nothing about how much of a guess matched.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from application.errors import InvalidSignature

PROVIDER = "paystack"
SIGNATURE_HEADER = "x-paystack-signature"

_HEX_SHA512 = re.compile(r"[0-9a-f]{128}")


def sign(secret_key: str, body: bytes) -> str:
    """The header value Paystack puts on `body`."""
    return hmac.new(secret_key.encode("utf-8"), body, hashlib.sha512).hexdigest()


def header_value(headers: Mapping[str, str]) -> str | None:
    """HTTP header names are case-insensitive; proxies and frameworks spell them differently."""
    for name, value in headers.items():
        if name.lower() == SIGNATURE_HEADER:
            return value
    return None


def verify(signature: str | None, body: bytes, *secret_keys: str) -> None:
    """Returns quietly when `signature` signs `body` with any of `secret_keys` (while a key is rotated, the old
    and the new one are both configured); raises InvalidSignature naming the reason otherwise."""
    if signature is None or not signature.strip():
        raise InvalidSignature(PROVIDER, f"missing {SIGNATURE_HEADER} header")
    candidate = signature.strip().lower()
    if not _HEX_SHA512.fullmatch(candidate):
        raise InvalidSignature(PROVIDER, f"{SIGNATURE_HEADER} is not a hex HMAC-SHA512")
    given = candidate.encode("ascii")
    matched = False
    for secret_key in secret_keys:  # every key, without stopping early: timing says nothing about which matched
        if secret_key:  # an empty key must never sign anything
            matched |= hmac.compare_digest(sign(secret_key, body).encode("ascii"), given)
    if not matched:
        raise InvalidSignature(PROVIDER, "signature does not match the body with any configured secret key")
