"""One masking of e-mail addresses for everything that shows them in part (order callbacks, logs)."""

from __future__ import annotations

import pytest

from application.email_masking import mask_email, mask_emails_in


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("a@example.co.uk", "a***@example.co.uk"),
        ("ada!lovelace@example.com", "a***@example.com"),  # the checkout's pattern allows what text search skips
        ('"odd@local"@example.com', '"***@example.com'),  # the domain is after the last @
        ("not an address", "***"),
        ("@example.com", "***"),
        ("jane@", "***"),
    ],
)
def test_an_address_keeps_its_first_character_and_domain(address: str, masked: str) -> None:
    assert mask_email(address) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("to Ann+shop@mail.example.org, cc bob@example.com", "to A***@mail.example.org, cc b***@example.com"),
        ('{"email": "jane@example.com"}', '{"email": "j***@example.com"}'),
        ("j***@example.com", "j***@example.com"),  # masking twice changes nothing
        ("no address here, just an @ sign", "no address here, just an @ sign"),
    ],
)
def test_every_address_in_a_text_is_masked(text: str, masked: str) -> None:
    assert mask_emails_in(text) == masked
