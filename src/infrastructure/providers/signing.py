"""Stripe's webhook signature scheme, shared by the Stripe adapter and the simulator.

Header: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each `v1` is HMAC-SHA256(secret, "<t>.<raw body>") in
lower-case hex (https://docs.stripe.com/webhooks#verify-manually). Several `v1` values appear while Stripe rolls
a secret; we may also hold several secrets ourselves, so a request passes if ANY `v1` matches ANY secret.
`v0` (Stripe's test-mode scheme) and unknown schemes are ignored, never trusted.

Replay defence: `t` is signed, so a captured request cannot be re-dated. We reject `t` older than the
tolerance, and, unlike Stripe's SDKs, also `t` too far in the future (a clock that far ahead is a forgery or a
misconfiguration, and accepting it would stretch the replay window).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from application.errors import InvalidSignature

DEFAULT_TOLERANCE_SECONDS = 300

# Digits only: int() alone would also accept "+1", " 1" and "1_000", which no honest sender produces.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex `v1` value for `body` sent at `timestamp`."""
    signed_payload = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed_payload, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int, *previous: str) -> str:
    """The header value a sender puts on `body`: `t=<timestamp>,v1=<hex>`, the current secret's `v1` first, then
    one `v1` per previous secret still configured (rotation, as Stripe does while it rolls a secret: a receiver
    holding the old secret or the new one finds its own among them)."""
    return ",".join([f"t={timestamp}", *(f"v1={signature(key, body, timestamp)}" for key in (secret, *previous))])


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    provider: str,
) -> None:
    """Returns quietly when `header` signs `body`; raises InvalidSignature naming the reason otherwise."""
    if header is None or not header.strip():
        raise InvalidSignature(provider, "missing signature header")
    timestamp, candidates = _parse(header, provider)
    if now - timestamp > tolerance:
        raise InvalidSignature(provider, f"timestamp is {now - timestamp} s old, beyond the {tolerance} s tolerance")
    if timestamp - now > tolerance:
        raise InvalidSignature(
            provider, f"timestamp is {timestamp - now} s in the future, beyond the {tolerance} s tolerance"
        )
    expected = [signature(secret, body, timestamp).encode("ascii") for secret in secrets if secret]
    # Check every pair without stopping early, so timing says nothing about which one matched.
    matched = False
    for candidate in candidates:
        given = candidate.encode("utf-8", "replace")
        for wanted in expected:
            matched |= hmac.compare_digest(wanted, given)
    if not matched:
        raise InvalidSignature(provider, "no v1 signature matches the body with any configured secret")


def _parse(header: str, provider: str) -> tuple[int, list[str]]:
    """Splits the header into its timestamp and `v1` values; anything else in it is ignored."""
    timestamps: list[str] = []
    candidates: list[str] = []
    for item in header.split(","):
        key, separator, value = item.strip().partition("=")
        if not separator:
            raise InvalidSignature(provider, "unparseable signature header (expected t=…,v1=…)")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            candidates.append(value)
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        raise InvalidSignature(provider, "unparseable signature header: needs exactly one numeric t=")
    if not candidates:
        raise InvalidSignature(provider, "signature header has no v1 signature")
    return int(timestamps[0]), candidates
