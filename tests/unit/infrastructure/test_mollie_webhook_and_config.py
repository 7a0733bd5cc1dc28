"""Mollie's webhook body (`id=tr_…`, nothing else is accepted), the PAYMENTS_MOLLIE_* reader, and amounts."""

from __future__ import annotations

import pytest

from application.errors import MalformedWebhook
from domain.shared.money import Money
from infrastructure.providers.mollie import wire
from infrastructure.providers.mollie.amounts import SUPPORTED_CURRENCIES, UnreadableAmount, from_mollie, to_mollie
from infrastructure.providers.mollie.config import MollieConfig, read_mollie_config
from infrastructure.providers.mollie.notification import notification_id

KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
LIVE = "live_Abcdefghijklmnopqrstuvwxyz0123"


@pytest.mark.parametrize(
    ("body", "expected"),
    [(b"id=tr_5B8cwPMGnU6qLbRvo7qEZo", "tr_5B8cwPMGnU6qLbRvo7qEZo"), (b"id=tr_d0b0E3EA3v", "tr_d0b0E3EA3v"),
     (b"id=tr_" + b"a" * 61, "tr_" + "a" * 61)],
)  # fmt: skip
def test_a_mollie_webhook_body_names_the_payment(body: bytes, expected: str) -> None:
    assert notification_id(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"",  # nothing
        b"id=",  # no id
        b"id",  # no value
        b"tr_5B8cwPMGnU6qLbRvo7qEZo",  # not a form
        b"payment=tr_5B8cwPMGnU6qLbRvo7qEZo",  # another field
        b"id=re_4qqhO89gsT",  # a refund id: Mollie's payment webhooks name the payment
        b"id=ord_pbjz8x",  # another kind of id
        b"id=tr_",  # no id after the prefix
        b"id=tr_abc-def",  # not alphanumeric
        b"id=tr_abc%2F..%2Fsecret",  # a path hidden behind percent-encoding
        b"id=tr_abc def",  # space
        b"id=tr_" + b"a" * 62,  # 65 characters: longer than any id we store
        b"id=tr_abc&id=tr_def",  # two ids
        b"id=tr_abc&foo=bar",  # extra junk
        b"id=tr_abc\n",  # trailing bytes
        b"id=tr_abc;x",
        b'{"id": "tr_abc"}',  # JSON, not Mollie's form
        "id=tr_ab\u00e7".encode(),  # not ASCII
        b"id=tr_" + b"a" * 500,  # far too long to read at all
    ],
)
def test_anything_else_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedWebhook) as refused:
        notification_id(body)
    assert refused.value.provider == "mollie"


# ---- PAYMENTS_MOLLIE_* --------------------------------------------------------------------------------------
def test_mollie_is_off_without_a_key() -> None:
    assert read_mollie_config({}) == (None, [])
    assert read_mollie_config({"PAYMENTS_MOLLIE_API_KEY": " , "}) == (None, [])


@pytest.mark.parametrize(
    ("env", "keys", "base"),
    [
        ({"PAYMENTS_MOLLIE_API_KEY": KEY}, (KEY,), "https://api.mollie.com"),
        ({"PAYMENTS_MOLLIE_API_KEY": f" {LIVE} , {KEY} "}, (LIVE, KEY), "https://api.mollie.com"),
        ({"PAYMENTS_MOLLIE_API_KEY": KEY, "PAYMENTS_MOLLIE_API_BASE": "http://127.0.0.1:9000/"}, (KEY,), "http://127.0.0.1:9000"),
        ({"PAYMENTS_MOLLIE_API_KEY": KEY, "PAYMENTS_MOLLIE_API_BASE": ""}, (KEY,), "https://api.mollie.com"),
    ],
)  # fmt: skip
def test_configuration_that_is_read(env: dict[str, str], keys: tuple[str, ...], base: str) -> None:
    config, problems = read_mollie_config(env)
    assert (config, problems) == (MollieConfig(keys, base), [])
    assert config is not None
    assert config.api_key == keys[0]  # the first key is used for calls


@pytest.mark.parametrize(
    ("env", "problems"),
    [
        ({"PAYMENTS_MOLLIE_API_KEY": "sk_test_123"}, ["PAYMENTS_MOLLIE_API_KEY must start with test_ or live_"]),
        ({"PAYMENTS_MOLLIE_API_KEY": "test_"}, ["PAYMENTS_MOLLIE_API_KEY must start with test_ or live_"]),
        ({"PAYMENTS_MOLLIE_API_KEY": "access_abc"}, ["PAYMENTS_MOLLIE_API_KEY must start with test_ or live_"]),
        ({"PAYMENTS_MOLLIE_API_KEY": f"{KEY},pfl_QkEhN94Ba"}, ["PAYMENTS_MOLLIE_API_KEY must start with test_ or live_ (key 2)"]),
        ({"PAYMENTS_MOLLIE_API_KEY": "test_abc def"}, ["PAYMENTS_MOLLIE_API_KEY may hold only letters and digits after test_ or live_"]),
        ({"PAYMENTS_MOLLIE_API_KEY": f"{KEY},{KEY}"}, ["PAYMENTS_MOLLIE_API_KEY names a key twice"]),
        ({"PAYMENTS_MOLLIE_API_KEY": KEY, "PAYMENTS_MOLLIE_API_BASE": "api.mollie.com"},
         ["PAYMENTS_MOLLIE_API_BASE must be a http/https URL, got 'api.mollie.com'"]),
        ({"PAYMENTS_MOLLIE_API_KEY": KEY, "PAYMENTS_MOLLIE_API_BASE": "https://api.mollie.com/v2/"},
         ["PAYMENTS_MOLLIE_API_BASE must not end in /v2 (the adapter adds it), got 'https://api.mollie.com/v2/'"]),
        ({"PAYMENTS_MOLLIE_API_KEY": "nope", "PAYMENTS_MOLLIE_API_BASE": "ftp://x"},
         ["PAYMENTS_MOLLIE_API_KEY must start with test_ or live_", "PAYMENTS_MOLLIE_API_BASE must be a http/https URL, got 'ftp://x'"]),
        ({"PAYMENTS_MOLLIE_API_BASE": "ftp://x"}, ["PAYMENTS_MOLLIE_API_BASE must be a http/https URL, got 'ftp://x'"]),
    ],
)  # fmt: skip
def test_every_mistake_is_one_line(env: dict[str, str], problems: list[str]) -> None:
    assert read_mollie_config(env) == (None, problems)


def test_a_key_is_never_echoed_in_problems_or_repr() -> None:
    secret = "sk_live_9f8e7d6c5b4a"
    _, problems = read_mollie_config({"PAYMENTS_MOLLIE_API_KEY": f"{KEY},{secret}"})
    assert problems
    assert secret not in " ".join(problems)
    assert KEY not in repr(MollieConfig((KEY,)))
    with pytest.raises(ValueError, match="at least one API key"):
        MollieConfig(())


# ---- amounts -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("minor", "currency", "value"),
    [(1999, "EUR", "19.99"), (5, "USD", "0.05"), (1999, "JPY", "1999"), (150_000, "ISK", "150000"), (1999, "KWD", "1.999")],
)  # fmt: skip
def test_amounts_carry_exactly_the_currencys_decimals(minor: int, currency: str, value: str) -> None:
    assert to_mollie(Money.of(minor, currency)) == {"currency": currency, "value": value}
    assert from_mollie(wire.Amount(currency, value)) == (minor, currency)


@pytest.mark.parametrize(("currency", "value"), [("EUR", "10.001"), ("JPY", "1.5"), ("EUR", "NaN"), ("XXY", "1.00")])
def test_inexact_amounts_are_unreadable(currency: str, value: str) -> None:
    with pytest.raises(UnreadableAmount):
        from_mollie(wire.Amount(currency, value))


def test_supported_currencies_have_mollies_decimals() -> None:
    assert {"EUR", "GBP", "USD", "JPY", "ISK", "CHF", "PLN", "SEK"} <= SUPPORTED_CURRENCIES
    assert not {"KWD", "BHD", "NGN", "XOF", "HRK"} & SUPPORTED_CURRENCIES
