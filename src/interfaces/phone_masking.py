"""Phone numbers in log lines, masked like e-mail addresses: `+234 801 234 5678` → `+***78`, enough to tell
customers apart, not to call one. Providers send them in webhook bodies and API answers (Paystack's and
Flutterwave's customers, PayPal's payers), and an exception message can carry a piece of either.

Two shapes are recognised, both linear in the text (possessive quantifiers, pinned starts):
- an international number anywhere: `+`, then 7 to 15 digits (E.164), optionally grouped by spaces,
  dots, hyphens or parentheses; a `+` inside a word or after a digit (`1e+10`, a `+00:00` offset) is not one;
- any value, in whatever format, of a field or key named like a phone (`phone`, `phone_number`, `mobile`,
  `msisdn`, `telephone`, `tel`): `"phone": "0801 234 5678"`, `mobile=08012345678`.
"""

from __future__ import annotations

import re

_GROUPED_DIGITS = r"\d(?:[ .()-]{0,2}+\d){6,14}+"  # 7 to 15 digits, at most two separators between two
_INTERNATIONAL = re.compile(rf"(?<![\w+]){re.escape('+')}\(?+({_GROUPED_DIGITS})(?![\d])")
_PHONE_NAME = r"(?:phone(?:_?number)?|mobile(?:_?number)?|msisdn|telephone|tel)"
_NAMED_PHONE = re.compile(
    rf"(?i)(?P<name>(?<![\w-])['\"]?{_PHONE_NAME}['\"]?\s*+[:=]\s*+)"
    r"(?P<q>['\"]?)(?P<value>\+?[\d .()-]{4,32}+)(?P=q)"
)
_PHONE_KEY = re.compile(rf"(?i)^(?:customer_|payer_|billing_)?{_PHONE_NAME}$")
HINTS = ("+", "phone", "mobile", "msisdn", "tel")


def _last_two(number: str) -> str:
    digits = [char for char in number if char.isdigit()]
    return "".join(digits[-2:])


def mask_phone(number: str) -> str:
    """`+2348012345678` → `+***78`; `08012345678` → `***78`."""
    return ("+" if number.lstrip().startswith("+") else "") + "***" + _last_two(number)


def mask_phones_in(text: str) -> str:
    """Every phone number in `text` masked; cheap on lines that hold none (a substring test first)."""
    lowered = text.lower()
    if not any(hint in lowered for hint in HINTS):
        return text
    if "+" in text:
        text = _INTERNATIONAL.sub(lambda found: "+***" + _last_two(found.group(1)), text)
    return _NAMED_PHONE.sub(lambda found: f"{found['name']}{found['q']}{mask_phone(found['value'])}{found['q']}", text)


def is_phone_key(name: str) -> bool:
    """An extra log field that holds a phone number by its name (`phone`, `customer_phone`, …)."""
    return _PHONE_KEY.match(name) is not None
