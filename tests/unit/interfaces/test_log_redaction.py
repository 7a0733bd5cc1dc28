"""Masking and redaction as tables of input → output, and the two formatters applying them to every part of a
record (message, extra fields, exception text)."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from infrastructure.settings import ConfiguredApiKey, Settings
from interfaces.log_redaction import REDACTED, RedactionRules, configured_secrets, mask_email
from interfaces.logging_setup import ConsoleFormatter, JsonFormatter

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
        # provider secrets by shape
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
        # bare HMACs: a Stripe-scheme v1 and a Paystack SHA-512; 32-hex ids (request ids) stay
        ("got v1=" + "a1" * 32, f"got v1={R}"),
        ("hmac " + "0f" * 64 + " end", f"hmac {R} end"),
        ("request 0123456789abcdef0123456789abcdef done", "request 0123456789abcdef0123456789abcdef done"),
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
def test_redact_secret_shapes(text: str, expected: str) -> None:
    assert RedactionRules().redact(text) == expected


def test_configured_secret_values_are_redacted_exactly_whatever_their_shape() -> None:
    paypal_secret = "EHm9Zr-LongPayPalClientSecretWithNoPrefix"
    rules = RedactionRules([paypal_secret, "short", ""])
    assert rules.redact(f"token call with {paypal_secret}!") == f"token call with {R}!"
    assert rules.redact("a short word") == "a short word"  # values under 8 characters are not treated as secrets


def test_configured_secrets_lists_every_secret_of_the_settings() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://app:db-password-1@db/payments",
        redis_url="redis://:redis-password-2@cache:6379/0",
        api_keys=(ConfiguredApiKey("orders", "orders-key-0123456789", ("payments:read",)),),
        stripe_secret_key="sk_test_x",
        stripe_webhook_secrets=("whsec_a", "whsec_b"),
        paypal_client_secret="paypal-secret",
        flutterwave_secret_hash="flw-hash",
        simulator_webhook_secret="whsec_sim_1",
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
