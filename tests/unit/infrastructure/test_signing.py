"""Stripe's signature scheme (signing.py), checked against an independent computation of the HMAC."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from application.errors import InvalidSignature
from infrastructure.providers.signing import sign, verify

SECRET = "whsec_test_secret"
OTHER = "whsec_other_secret"
BODY = b'{"id":"evt_1","type":"payment.succeeded"}'
NOW = 1_700_000_000


def _v1(secret: str, body: bytes, timestamp: int) -> str:
    # computed here rather than with signing.signature, so the test does not trust the code under test
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _reason(header: str | None, body: bytes = BODY, secrets: tuple[str, ...] = (SECRET,)) -> str:
    with pytest.raises(InvalidSignature) as caught:
        verify(header, body, secrets, NOW, provider="stripe")
    assert caught.value.provider == "stripe"
    return caught.value.reason


def test_sign_produces_stripes_header() -> None:
    assert sign(SECRET, BODY, NOW) == f"t={NOW},v1={_v1(SECRET, BODY, NOW)}"


def test_valid_signature_passes() -> None:
    verify(sign(SECRET, BODY, NOW), BODY, [SECRET], NOW, provider="stripe")


def test_a_tampered_byte_is_rejected() -> None:
    tampered = BODY.replace(b"succeeded", b"succeedee")
    assert "no v1 signature matches" in _reason(sign(SECRET, BODY, NOW), body=tampered)


def test_wrong_secret_is_rejected() -> None:
    assert "no v1 signature matches" in _reason(sign(OTHER, BODY, NOW))


def test_no_secrets_configured_rejects_everything() -> None:
    assert "no v1 signature matches" in _reason(sign(SECRET, BODY, NOW), secrets=())


def test_rotation_second_of_two_secrets_matches() -> None:
    verify(sign(SECRET, BODY, NOW), BODY, [OTHER, SECRET], NOW, provider="stripe")


def test_rotation_any_of_several_v1_values_matches() -> None:
    header = f"t={NOW},v1={_v1(OTHER, BODY, NOW)},v1={_v1(SECRET, BODY, NOW)}"
    verify(header, BODY, [SECRET], NOW, provider="stripe")


@pytest.mark.parametrize(("offset", "accepted"), [(-300, True), (-301, False), (300, True), (301, False)])
def test_timestamp_tolerance_window(offset: int, accepted: bool) -> None:
    header = sign(SECRET, BODY, NOW + offset)
    if accepted:
        verify(header, BODY, [SECRET], NOW, provider="stripe")
    else:
        assert ("old" if offset < 0 else "future") in _reason(header)


def test_custom_tolerance() -> None:
    header = sign(SECRET, BODY, NOW - 10)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(header, BODY, [SECRET], NOW, tolerance=5, provider="stripe")


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header(header: str | None) -> None:
    assert "missing" in _reason(header)


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        "t=abc,v1=00",
        "t=,v1=00",
        "t=+1700000000,v1=00",
        "t=1_700_000_000,v1=00",
        f"v1={_v1(SECRET, BODY, NOW)}",  # no timestamp
        f"t={NOW},t={NOW},v1={_v1(SECRET, BODY, NOW)}",  # ambiguous timestamp
    ],
)
def test_unparseable_header(header: str) -> None:
    assert "unparseable" in _reason(header)


def test_header_without_v1() -> None:
    assert "no v1" in _reason(f"t={NOW}")


def test_v0_and_unknown_schemes_are_ignored() -> None:
    # a v0 (test-mode) value with a valid HMAC does not count: only v1 is trusted
    v0_only = f"t={NOW},v0={_v1(SECRET, BODY, NOW)},v2={_v1(SECRET, BODY, NOW)}"
    assert "no v1" in _reason(v0_only)
    with_v1 = f"t={NOW},v0=deadbeef,v1={_v1(SECRET, BODY, NOW)},scheme=x"
    verify(with_v1, BODY, [SECRET], NOW, provider="stripe")


def test_non_ascii_signature_is_rejected_not_crashing() -> None:
    assert "no v1 signature matches" in _reason(f"t={NOW},v1=é")
