"""What log lines may not carry, removed on the way out: e-mail addresses masked, secrets redacted.

The first defence is that no code passes API keys, signatures, request headers or webhook bodies to a logger.
This module is the second: every formatted message, exception text and extra field goes through `redact`,
so a secret that slips into an exception message or a third-party library's log line still never reaches
the output. It recognises the shapes secrets come in (our `pay_sk_` keys, Bearer tokens, Stripe, Paystack and
Flutterwave keys, webhook secrets, HMAC signatures, credentials in URLs, `Authorization` and signature header
values) and, exactly, the values this process was configured with (`RedactionRules.secrets`), which covers
secrets without a recognisable shape such as PayPal client secrets and Flutterwave secret hashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from infrastructure.settings import Settings

REDACTED = "[REDACTED]"
_MIN_SECRET_LENGTH = 8  # shorter configured values would mask ordinary words; no real secret is that short

# Header names whose values are credentials or signatures. A value is a quoted string, or an unquoted run that
# may hold commas (Stripe's `t=…,v1=…`) and an auth scheme followed by a space (`Bearer …`).
_SENSITIVE_HEADERS = (
    "authorization|proxy-authorization|x-api-key|stripe-signature|x-paystack-signature|verif-hash|"
    "flutterwave-signature|paypal-transmission-sig|payments-signature|simulator-signature|cookie"
)
_HEADER_VALUE = re.compile(
    rf"(?i)\b((?:{_SENSITIVE_HEADERS})['\"]?\s*[:=]\s*)"  # the name, as in a header dump, a dict or JSON
    r"(?:(['\"])(?:\\.|(?!\2).)*\2"  # a quoted value
    r"|(?:(?:bearer|basic)\s+)?[^\s'\",;}\]]+(?:,[^\s'\",;}\]]+)*)"  # an unquoted one
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
# Known secret shapes; each keeps its recognisable prefix, so a reader still sees *which* secret was there.
_SECRET_SHAPES = re.compile(
    r"\b(pay_sk_|(?:sk|rk)_(?:live|test)_|whsec_|FLWSECK(?:_TEST)?-)[A-Za-z0-9_-]+"
    r"|\b(v[01]=)[0-9a-fA-F]{32,}"  # the HMAC part of a Stripe-scheme signature
)
_BARE_HMAC = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64,}(?![0-9a-fA-F])")  # SHA-256/512 (Paystack); ids are shorter
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@")
_EMAIL = re.compile(r"([A-Za-z0-9_%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_SECRET_KEY_NAMES = re.compile(r"(?i)authorization|signature|secret|password|passwd|token|api_?key|cookie|verif-hash")


def mask_email(address: str) -> str:
    """`jane.doe@example.com` → `j***@example.com`: enough to tell customers apart in a log, not to reach one."""
    return _EMAIL.sub(r"\1***@\2", address)


def _keep_prefix(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2)) + REDACTED


@lru_cache(maxsize=1024)  # field names come from code, a small set: each is matched once
def _is_secret_name(name: str) -> bool:
    return _SECRET_KEY_NAMES.search(name) is not None


def _keep_header_name(match: re.Match[str]) -> str:
    quote = match.group(2) or ""
    return f"{match.group(1)}{quote}{REDACTED}{quote}"


class RedactionRules:
    """`redact(text)` with the shapes above plus this process's configured secret values."""

    __slots__ = ("_exact",)

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret that contains another is replaced whole
        self._exact = sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._exact:
            if secret in text:
                text = text.replace(secret, REDACTED)
        # Each pattern runs only when a substring it cannot match without is present: most lines hold none, and
        # `in` costs far less than a regex scan (every request's access line passes through here).
        lowered = text.lower()
        if (
            "authorization" in lowered
            or "api-key" in lowered
            or "-sig" in lowered
            or "verif-hash" in lowered
            or "cookie" in lowered
        ):
            text = _HEADER_VALUE.sub(_keep_header_name, text)
        if "bearer" in lowered:
            text = _BEARER.sub(r"\1" + REDACTED, text)
        if (
            "sk_" in lowered
            or "rk_" in lowered
            or "whsec_" in lowered
            or "flwseck" in lowered
            or "v1=" in lowered
            or "v0=" in lowered
        ):
            text = _SECRET_SHAPES.sub(_keep_prefix, text)
        if len(text) >= 64:
            text = _BARE_HMAC.sub(REDACTED, text)
        if "@" in text:
            text = _URL_CREDENTIALS.sub(r"\1" + REDACTED + "@", text)
            text = _EMAIL.sub(r"\1***@\2", text)
        return text

    def redact_value(self, key: str, value: Any) -> Any:
        """An extra field's value: redacted whole when its name says it is a secret, else redacted inside."""
        if _is_secret_name(key):
            return REDACTED
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {str(k): self.redact_value(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(key, v) for v in value]
        if isinstance(value, bytes | bytearray):
            return REDACTED  # raw bodies are bytes: never print them, whatever they hold
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.redact(str(value))  # what json.dumps(default=str) would print, redacted first


def configured_secrets(settings: Settings) -> list[str]:
    """Every secret value in the settings: keys, provider secrets, signing secrets, URL passwords."""
    values = [key.key for key in settings.api_keys]
    values += list(settings.stripe_webhook_secrets)
    optional = (
        settings.stripe_secret_key,
        settings.paystack_secret_key,
        settings.flutterwave_secret_key,
        settings.flutterwave_secret_hash,
        settings.paypal_client_secret,
        settings.simulator_webhook_secret,
        settings.callback_secret,
    )
    values += [value for value in optional if value]
    for url in (settings.database_url, settings.redis_url, settings.broker_url):
        password = urlsplit(url).password if url else None
        if password:
            values.append(password)
    return values
