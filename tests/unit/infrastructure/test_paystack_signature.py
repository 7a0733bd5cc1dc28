"""Paystack's webhook signature (HMAC-SHA512 of the raw body with the secret key), checked against an
independent computation of the HMAC."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from application.errors import InvalidSignature
from infrastructure.providers.paystack.signature import header_value, sign, verify

SECRET = "sk_test_secret"
BODY = b'{"event":"charge.success","data":{"id":302961,"reference":"pay-01TEST","amount":10000}}'


def _hmac(secret: str, body: bytes) -> str:
    # computed here rather than with signature.sign, so the test does not trust the code under test
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def _reason(signature: str | None, body: bytes = BODY, secret: str = SECRET) -> str:
    with pytest.raises(InvalidSignature) as caught:
        verify(signature, body, secret)
    assert caught.value.provider == "paystack"
    return caught.value.reason


def test_sign_is_hex_hmac_sha512_of_the_raw_body() -> None:
    assert sign(SECRET, BODY) == _hmac(SECRET, BODY)
    assert len(sign(SECRET, BODY)) == 128


def test_a_valid_signature_passes() -> None:
    verify(_hmac(SECRET, BODY), BODY, SECRET)


def test_upper_case_hex_and_surrounding_spaces_are_accepted() -> None:
    verify(_hmac(SECRET, BODY).upper(), BODY, SECRET)
    verify(f"  {_hmac(SECRET, BODY)} ", BODY, SECRET)


def test_a_tampered_byte_is_rejected() -> None:
    tampered = BODY.replace(b"10000", b"10001")
    assert "does not match" in _reason(_hmac(SECRET, BODY), body=tampered)


def test_a_reserialized_body_is_rejected() -> None:
    # same JSON, different bytes: the signature is over the raw body, never over re-encoded JSON
    assert "does not match" in _reason(_hmac(SECRET, BODY), body=BODY.replace(b",", b", "))


def test_the_wrong_secret_is_rejected() -> None:
    assert "does not match" in _reason(_hmac("sk_test_other", BODY))


def test_an_empty_configured_secret_rejects_everything() -> None:
    assert "does not match" in _reason(_hmac("", BODY), secret="")


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_a_missing_header_is_rejected(missing: str | None) -> None:
    assert "missing x-paystack-signature" in _reason(missing)


@pytest.mark.parametrize(
    "garbage",
    [
        "not-a-signature",
        "sha512=" + "0" * 128,
        "z" * 128,
        _hmac(SECRET, BODY)[:-1],  # one digit short
        _hmac(SECRET, BODY) + "0",  # one digit long
        hashlib.sha256(BODY).hexdigest(),  # a SHA-256 is not a SHA-512
        "é" * 128,
    ],
)
def test_a_garbage_header_is_rejected(garbage: str) -> None:
    assert "not a hex HMAC-SHA512" in _reason(garbage)


def test_the_header_is_found_whatever_its_case() -> None:
    assert header_value({"X-Paystack-Signature": "abc"}) == "abc"
    assert header_value({"x-paystack-signature": "def", "content-type": "application/json"}) == "def"
    assert header_value({"content-type": "application/json"}) is None


def test_while_the_key_is_rotated_a_body_signed_with_the_old_key_passes() -> None:
    new, old = "sk_test_new_key", SECRET
    verify(_hmac(old, BODY), BODY, new, old)
    verify(_hmac(new, BODY), BODY, new, old)


def test_a_body_signed_with_neither_key_is_rejected() -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(_hmac("sk_test_other", BODY), BODY, "sk_test_new_key", SECRET)
