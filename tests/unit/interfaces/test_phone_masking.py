"""Phone numbers join e-mail addresses in log masking: a table of input → output, through the log redaction that
every record passes, and extra fields named like a phone."""

from __future__ import annotations

import pytest

from interfaces.log_redaction import RedactionRules
from interfaces.phone_masking import mask_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+2348012345678", "+***78"),
        ("call +1 (415) 555-2671 today", "call +***71 today"),
        ("+44 20 7946 0958, +49.30.901820", "+***58, +***20"),
        ('{"customer": {"phone": "+2348012345678"}}', '{"customer": {"phone": "+***78"}}'),
        ('{"phone": "08012345678"}', '{"phone": "***78"}'),
        ("mobile=0801 234 5678&x=1", "mobile=***78&x=1"),
        ("'phone_number': '0712 345 678'", "'phone_number': '***78'"),
        ('"msisdn":"254712345678"', '"msisdn":"***78"'),
        # not phone numbers: offsets, exponents, amounts, short numbers, ids and timestamps stay as they are
        ("2025-01-02T03:04:05+00:00", "2025-01-02T03:04:05+00:00"),
        ("1e+10 and 5+5", "1e+10 and 5+5"),
        ("amount=9999 order=12345678 took 1234567 us", "amount=9999 order=12345678 took 1234567 us"),
        ("pay_01JD3X9+12345", "pay_01JD3X9+12345"),
        ("+12345", "+12345"),  # too short for a phone number
        ("hotel: 12345678", "hotel: 12345678"),
    ],
)
def test_phones_are_masked_in_log_text(text: str, expected: str) -> None:
    assert RedactionRules().redact(text) == expected


def test_an_email_and_a_phone_on_one_line_are_both_masked() -> None:
    line = "customer ada@example.com (+234 801 234 5678) paid"
    assert RedactionRules().redact(line) == "customer a***@example.com (+***78) paid"


@pytest.mark.parametrize("key", ["phone", "customer_phone", "mobile_number", "msisdn", "payer_phone"])
def test_an_extra_field_named_like_a_phone_is_masked_whatever_its_format(key: str) -> None:
    assert RedactionRules().redact_value(key, "0801-234-5678") == "***78"
    assert RedactionRules().redact_value("order_id", "0801-234-5678") == "0801-234-5678"


def test_mask_phone() -> None:
    assert (mask_phone("+2348012345678"), mask_phone("08012345678")) == ("+***78", "***78")
