"""Masking and redaction as tables of input → output, and the two formatters applying them to every part of a
record (message, extra fields, exception text)."""

from __future__ import annotations

import json
import logging
import sys
import time

import pytest

from infrastructure.providers.flutterwave.config import FlutterwaveConfig
from infrastructure.providers.paypal.config import PayPalConfig
from infrastructure.providers.simulator.config import SimulatorConfig
from infrastructure.providers.stripe.config import StripeConfig
from infrastructure.settings import ConfiguredApiKey
from interfaces.log_redaction import REDACTED, RedactionRules, configured_secrets, escape_controls, mask_email
from interfaces.logging_setup import ConsoleFormatter, JsonFormatter
from tests.provider_settings import settings_with

R = REDACTED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("j@example.co.uk", "j***@example.co.uk"),
        ("to Ann+shop@mail.example.org, cc bob@example.com", "to A***@mail.example.org, cc b***@example.com"),
        ("customer='jane@example.com'", "customer='j***@example.com'"),
        ('{"email": "jane@example.com"}', '{"email": "j***@example.com"}'),
        ("j***@example.com", "j***@example.com"),  # masking twice changes nothing
        ("no address here, just an @ sign", "no address here, just an @ sign"),
    ],
)
def test_mask_email(text: str, expected: str) -> None:
    assert mask_email(text) == expected
    assert RedactionRules().redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # our API keys, wherever they appear, and any Bearer token
        ("key pay_sk_Ab3_x-Yz9 rejected", f"key pay_sk_{R} rejected"),
        ("Authorization: Bearer k3y.with-dots_and~", f"Authorization: {R}"),
        ("sent bearer abc123 upstream", f"sent bearer {R} upstream"),
        ("{'authorization': 'Basic dXNlcjpwYXNz', 'accept': '*/*'}", f"{{'authorization': '{R}', 'accept': '*/*'}}"),
        ('{"X-API-Key": "orders-key-1234567890"}', f'{{"X-API-Key": "{R}"}}'),
        # provider secrets by their prefixes
        ("stripe key sk_live_51Hx0abcDEF", f"stripe key sk_live_{R}"),
        ("paystack sk_test_0123456789abcdef0123", f"paystack sk_test_{R}"),
        ("restricted rk_live_abc123", f"restricted rk_live_{R}"),
        ("secret whsec_e2e_000000", f"secret whsec_{R}"),
        ("flw FLWSECK_TEST-0123456789abcdef-X and FLWSECK-abcdef-X", f"flw FLWSECK_TEST-{R} and FLWSECK-{R}"),
        # signature headers, in a dump, a dict and a sentence
        ("Stripe-Signature: t=1700000000,v1=abc123,v0=def456", f"Stripe-Signature: {R}"),
        ("{'stripe-signature': 't=1,v1=ab', 'x': 'y'}", f"{{'stripe-signature': '{R}', 'x': 'y'}}"),
        ("x-paystack-signature=9f86d081884c7d65", f"x-paystack-signature={R}"),
        ("verif-hash: my-flw-hash", f"verif-hash: {R}"),
        ("flutterwave-signature: c2lnbmF0dXJl", f"flutterwave-signature: {R}"),
        ("PAYPAL-TRANSMISSION-SIG: SGVsbG8gV29ybGQ=", f"PAYPAL-TRANSMISSION-SIG: {R}"),
        ("Payments-Signature: t=1,v1=00ff", f"Payments-Signature: {R}"),
        # signatures by what names them (a Stripe-scheme `v1`, a Paystack header); hex ids of any length stay
        ("got v1=" + "a1" * 32, f"got v1={R}"),
        ("x-paystack-signature: " + "0f" * 64 + " end", f"x-paystack-signature: {R} end"),
        ("hmac " + "0f" * 64 + " end", "hmac " + "0f" * 64 + " end"),
        ("GET /api/v1/orders/" + "ab" * 32 + "/payment-status", "GET /api/v1/orders/" + "ab" * 32 + "/payment-status"),
        ("request 0123456789abcdef0123456789abcdef done", "request 0123456789abcdef0123456789abcdef done"),
        # any field, key or parameter whose name says secret, token, password, API key, cookie
        ("client_secret=abc123&grant_type=x", f"client_secret={R}&grant_type=x"),
        ("POST /oauth?access_token=eyJ.abc-1", f"POST /oauth?access_token={R}"),
        ('{"api_key": "k-1234567890", "amount": 5}', f'{{"api_key": "{R}", "amount": 5}}'),
        ("{'password': 'hunter22', 'user': 'ada'}", f"{{'password': '{R}', 'user': 'ada'}}"),
        ("[(b'x-api-key', b'orders-key-1'), (b'accept', b'*/*')]", f"[(b'x-api-key', b'{R}'), (b'accept', b'*/*')]"),
        ("headers=[('stripe-signature', 't=1,v1=ab')]", f"headers=[('stripe-signature', '{R}')]"),
        # cookies: every pair, a list of them, and nothing left behind
        ("Set-Cookie:[session=abc]", f"Set-Cookie:{R}"),
        ("Set-Cookie: sid=abc; HttpOnly", f"Set-Cookie: {R}"),
        ("Cookie: a=b; c=d", f"Cookie: {R}"),
        ("{'set-cookie': ['a=b', 'c=d']}", f"{{'set-cookie': {R}}}"),
        # prefixes wherever they occur, not only at a word's start
        ("id=order_pay_sk_Ab3", f"id=order_pay_sk_{R}"),
        ("task_live_1 and disk_test_2", "task_live_1 and disk_test_2"),  # not Stripe keys
        # words that only sound like secrets, in prose, pass
        ("invalid signature: no v1 signature matches", "invalid signature: no v1 signature matches"),
        ("Idempotency-Key: refund-1 reused", "Idempotency-Key: refund-1 reused"),
        ("basic checks passed; the token bucket is full", "basic checks passed; the token bucket is full"),
        # passwords in URLs (the e-mail mask must not eat the host)
        (
            "postgresql+asyncpg://app:s3cr3t@db.internal:5432/payments",
            f"postgresql+asyncpg://app:{R}@db.internal:5432/payments",
        ),
        ("redis://:hunter22@cache:6379/0", f"redis://:{R}@cache:6379/0"),
        # ordinary text passes unchanged
        ("GET /api/v1/payments/pay_01H 200", "GET /api/v1/payments/pay_01H 200"),
        ("refund re_123 of 2500 USD submitted", "refund re_123 of 2500 USD submitted"),
    ],
)
def test_redact_named_and_prefixed_secrets(text: str, expected: str) -> None:
    assert RedactionRules().redact(text) == expected


def test_configured_secret_values_are_redacted_exactly_whatever_their_shape() -> None:
    paypal_secret = "EHm9Zr-LongPayPalClientSecretWithNoPrefix"
    rules = RedactionRules([paypal_secret, "short", ""])
    assert rules.redact(f"token call with {paypal_secret}!") == f"token call with {R}!"
    assert rules.redact("a short word") == "a short word"  # values under 8 characters are not treated as secrets


def test_configured_secrets_lists_every_secret_of_the_settings() -> None:
    settings = settings_with(
        database_url="postgresql+asyncpg://app:db-password-1@db/payments",
        redis_url="redis://:redis-password-2@cache:6379/0",
        api_keys=(ConfiguredApiKey("orders", "orders-key-0123456789", ("payments:read",)),),
        stripe=StripeConfig(secret_key="sk_test_x", webhook_secrets=("whsec_a", "whsec_b")),
        paypal=PayPalConfig(client_secret="paypal-secret"),
        flutterwave=FlutterwaveConfig(secret_hashes=("flw-hash",)),
        simulator=SimulatorConfig(webhook_secrets=("whsec_sim_1",)),
        callback_secret="cbsec_1",
    )
    assert set(configured_secrets(settings)) == {
        "orders-key-0123456789",
        "sk_test_x",
        "whsec_a",
        "whsec_b",
        "paypal-secret",
        "flw-hash",
        "whsec_sim_1",
        "cbsec_1",
        "db-password-1",
        "redis-password-2",
    }


def _record(message: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("provider said: invalid key sk_live_leaked123 for jane@example.com")
        except ValueError:
            exc_info = sys.exc_info()
    record = logging.LogRecord("payments.test", logging.WARNING, __file__, 1, message, args, exc_info)
    record.__dict__.update(extra)
    record.request_id, record.trace_id = "req-1", "4bf92f3577b34da6a3ce929d0e0e4736"
    return record


def test_json_formatter_redacts_message_extras_and_exception() -> None:
    record = _record(
        "checkout for %s with %s",
        "jane@example.com",
        "Bearer pay_sk_abcdef",
        exc=True,
        route="/api/v1/payments/{payment_id}",
        status=200,
        headers={"Stripe-Signature": "t=1,v1=ab", "Accept": "application/json"},
        body=b'{"email": "jane@example.com"}',
        customer={"email": "jane@example.com"},
    )
    line = JsonFormatter(RedactionRules(["whsec_configured_1"])).format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == f"checkout for j***@example.com with Bearer {R}"
    assert parsed["request_id"] == "req-1"
    assert parsed["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert parsed["route"] == "/api/v1/payments/{payment_id}"
    assert parsed["status"] == 200
    assert parsed["headers"] == {"Stripe-Signature": R, "Accept": "application/json"}
    assert parsed["body"] == R
    assert parsed["customer"] == {"email": "j***@example.com"}
    assert "sk_live_leaked123" not in parsed["exception"]
    assert f"sk_live_{R}" in parsed["exception"]
    assert "jane@example.com" not in line


def test_console_formatter_is_one_readable_key_value_line() -> None:
    record = _record("request", method="GET", route="/api/v1/payments/{payment_id}", status=404, duration_ms=1.5)
    record.path = "/api/v1/orders/jane@example.com/checkout"
    line = ConsoleFormatter().format(record)
    assert "\n" not in line
    assert "payments.test [request_id=req-1] request trace_id=4bf92f3577b34da6a3ce929d0e0e4736 method=GET" in line
    assert "route=/api/v1/payments/{payment_id} status=404 duration_ms=1.5" in line
    assert "path=/api/v1/orders/j***@example.com/checkout" in line
    spaced = ConsoleFormatter().format(_record("x", note="two words", empty=""))
    assert spaced.endswith('note="two words" empty=""')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ord\x00er", "ord\\x00er"),
        ("a\nforged line\r", "a\\nforged line\\r"),
        ("\x1b[31mred\x7f\x9b", "\\x1b[31mred\\x7f\\x9b"),
        ("tab\there\u2028", "tab\\there\\u2028"),
        ("plain text, é and 日本", "plain text, é and 日本"),
    ],
)
def test_control_characters_are_escaped(text: str, expected: str) -> None:
    assert escape_controls(text) == expected


def test_a_control_character_from_a_request_never_reaches_either_format_raw() -> None:
    order_id = "ord\x00\x1b[2J\nfake line"
    for formatter in (ConsoleFormatter(), JsonFormatter()):
        record = _record("checkout for %s", order_id, exc=True, path=f"/api/v1/orders/{order_id}/checkout")
        line = formatter.format(record)
        first, *traceback = line.split("\n")
        assert not any(c in first for c in "\x00\x1b\r"), repr(first)
        if isinstance(formatter, JsonFormatter):
            assert traceback == []
            parsed = json.loads(line)
            assert parsed["message"] == "checkout for ord\\x00\\x1b[2J\\nfake line"
            assert parsed["path"] == "/api/v1/orders/ord\\x00\\x1b[2J\\nfake line/checkout"
            assert "\n" in parsed["exception"]  # a traceback keeps its lines
        else:
            assert "checkout for ord\\x00\\x1b[2J\\nfake line" in first
            assert traceback[:1] == ["Traceback (most recent call last):"]  # a traceback keeps its lines


@pytest.mark.parametrize(
    "path",
    [
        "/x/" + "a." * 30_000 + "@",  # a URL-credentials scan from every scheme-like start: ~15 s before
        "/x/" + "a" * 60_000 + "!@x.y",
        "/x/" + "token=[" * 9_000,
        "/x/" + "token-" * 10_000 + "=",
        "/x/" + "a=b," * 15_000 + "token=x",
    ],
)
def test_redaction_takes_time_linear_in_the_text(path: str) -> None:
    """Every access line's path passes through here; a client chooses it (60 KB and more fit in a request)."""
    started = time.perf_counter()
    RedactionRules(["configured-secret-1"]).redact(path)
    assert time.perf_counter() - started < 0.5
