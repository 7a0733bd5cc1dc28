"""Flutterwave's webhook authentication: v3 `verif-hash` is equality with the secret hash (not a signature);
v4 `flutterwave-signature` is accepted under either reading of the docs: equality, or Base64(HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from application.errors import InvalidSignature
from infrastructure.providers.flutterwave.signature import Scheme, verify

SECRET_HASH = "my-dashboard-secret-hash"
BODY = b'{"id":"wbk_1","type":"charge.completed","data":{"id":"chg_1","reference":"pay_1","status":"succeeded"}}'


def hmac_reading(body: bytes, secret: str = SECRET_HASH) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# ---- v3 ------------------------------------------------------------------------------------------------------
def test_v3_hash_equal_to_the_secret_hash_is_accepted() -> None:
    assert verify({"verif-hash": SECRET_HASH}, BODY, SECRET_HASH) is Scheme.V3


def test_v3_header_name_is_case_insensitive() -> None:
    assert verify({"Verif-Hash": SECRET_HASH}, BODY, SECRET_HASH) is Scheme.V3


@pytest.mark.parametrize(
    "value", ["wrong", SECRET_HASH + "x", SECRET_HASH[:-1], SECRET_HASH.upper(), f" {SECRET_HASH}", hmac_reading(BODY)]
)
def test_v3_any_other_value_is_refused(value: str) -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify({"verif-hash": value}, BODY, SECRET_HASH)


@pytest.mark.parametrize("headers", [{}, {"verif-hash": ""}, {"x-paystack-signature": SECRET_HASH}])
def test_missing_header_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidSignature, match="missing"):
        verify(headers, BODY, SECRET_HASH)


def test_v3_does_not_cover_the_body_so_a_tampered_body_still_passes() -> None:
    # The reason every v3 event that gives value is re-verified through the API before we act on it.
    tampered = BODY.replace(b"succeeded", b"failed")
    assert verify({"verif-hash": SECRET_HASH}, tampered, SECRET_HASH) is Scheme.V3


def test_no_configured_secret_never_matches() -> None:
    with pytest.raises(InvalidSignature):
        verify({"verif-hash": ""}, BODY, "")


# ---- v4 ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reading", ["equality", "hmac"])
def test_v4_both_readings_are_accepted(reading: str) -> None:
    value = SECRET_HASH if reading == "equality" else hmac_reading(BODY)
    assert verify({"flutterwave-signature": value}, BODY, SECRET_HASH) is Scheme.V4


def test_v4_hmac_reading_refuses_a_tampered_byte() -> None:
    signature = hmac_reading(BODY)
    tampered = BODY.replace(b"pay_1", b"pay_2")
    with pytest.raises(InvalidSignature):
        verify({"flutterwave-signature": signature}, tampered, SECRET_HASH)


def test_v4_hmac_reading_refuses_a_single_flipped_bit() -> None:
    tampered = bytes([BODY[0] ^ 1]) + BODY[1:]
    with pytest.raises(InvalidSignature):
        verify({"flutterwave-signature": hmac_reading(BODY)}, tampered, SECRET_HASH)


@pytest.mark.parametrize("reading", ["equality", "hmac"])
def test_v4_wrong_secret_is_refused(reading: str) -> None:
    value = "another-secret" if reading == "equality" else hmac_reading(BODY, "another-secret")
    with pytest.raises(InvalidSignature, match="does not match"):
        verify({"flutterwave-signature": value}, BODY, SECRET_HASH)


def test_v4_hex_digest_is_not_the_base64_reading() -> None:
    hex_digest = hmac.new(SECRET_HASH.encode(), BODY, hashlib.sha256).hexdigest()
    with pytest.raises(InvalidSignature):
        verify({"flutterwave-signature": hex_digest}, BODY, SECRET_HASH)


def test_v4_missing_header_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="missing"):
        verify({"flutterwave-signature": ""}, BODY, SECRET_HASH)


def test_wrong_values_in_both_headers_are_refused() -> None:
    with pytest.raises(InvalidSignature):
        verify({"verif-hash": "wrong", "flutterwave-signature": "also-wrong"}, BODY, SECRET_HASH)


# ---- rotation: PAYMENTS_FLUTTERWAVE_SECRET_HASH=new,old ----------------------------------------------------------
NEW_HASH = "my-new-dashboard-secret-hash"


@pytest.mark.parametrize(
    ("headers", "scheme"),
    [
        ({"verif-hash": SECRET_HASH}, Scheme.V3),
        ({"flutterwave-signature": SECRET_HASH}, Scheme.V4),
        ({"flutterwave-signature": hmac_reading(BODY)}, Scheme.V4),
    ],
)
def test_while_the_hash_is_rotated_the_old_one_is_accepted(headers: dict[str, str], scheme: Scheme) -> None:
    assert verify(headers, BODY, NEW_HASH, SECRET_HASH) is scheme


@pytest.mark.parametrize(
    "headers",
    [
        {"verif-hash": "neither-hash"},
        {"flutterwave-signature": "neither-hash"},
        {"flutterwave-signature": hmac_reading(BODY, "neither-hash")},
    ],
)
def test_while_the_hash_is_rotated_neither_hash_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(headers, BODY, NEW_HASH, SECRET_HASH)
