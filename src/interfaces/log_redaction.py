"""What log lines may not carry, removed on the way out: e-mail addresses and phone numbers masked
(`phone_masking.py`), secrets redacted, control characters escaped.

The first defence is that no code passes API keys, signatures, request headers or webhook bodies to a logger.
This module is the second: every formatted message, exception text and extra field goes through `redact`,
so a secret that slips into an exception message or a third-party library's log line still never reaches
the output. Secrets are recognised by what names them, never by what a value looks like (a 64-hex order id is
an order id): a field, key or header whose name says secret, signature, key, token, password, cookie or
authorization (`Stripe-Signature: …`, `"api_key": "…"`, `client_secret=…`, `(b'x-api-key', b'…')`), a Bearer
token, the `v1=` of a signature, a password in a URL; by the prefixes secrets carry wherever they
occur (our `pay_sk_` keys, Stripe's `sk_live_`/`whsec_`, Flutterwave's `FLWSECK`); and, exactly, by the values
this process was configured with (`RedactionRules.secrets`), which covers secrets without a name or a prefix
such as PayPal client secrets. Each provider's signature headers, key prefixes and configured secrets come from
its plugin (`infrastructure/providers/catalogue.py`): a new provider is covered without a change here. Control characters from requests (a NUL or a newline in an order id) are
escaped by `escape_controls`, so one record stays one line and cannot drive a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from infrastructure.providers import catalogue
from interfaces.phone_masking import is_phone_key, mask_phone, mask_phones_in

if TYPE_CHECKING:
    from infrastructure.settings import Settings

REDACTED = "[REDACTED]"
_MIN_SECRET_LENGTH = 8  # shorter configured values would mask ordinary words; no real secret is that short

# Every pattern below runs in time linear in the text (possessive quantifiers, starts pinned by lookbehinds,
# bounded lookaheads): they see every request's path, which a client can make long and adversarial.

_PROVIDER_HEADERS = tuple(dict.fromkeys(h.lower() for p in catalogue.PROVIDERS for h in p.signature_headers))
# Header names whose values are credentials or signatures, also as written in a header dump (`Name: value`).
_SENSITIVE_HEADERS = "|".join(
    re.escape(name)
    for name in (
        "authorization",
        "proxy-authorization",
        "x-api-key",
        *_PROVIDER_HEADERS,
        "payments-signature",
        "cookie",
    )
)
# Any field or key whose name says it holds a secret: client_secret, api_key, access_token, password, …, and
# the providers' signature headers these words do not cover (Flutterwave's `verif-hash`)
_GENERIC_WORDS = r"secret|passw(?:or)?d|token|(?:api|private)[_-]?key|signature|authorization|cookie"
_SENSITIVE_WORDS = "|".join(
    [_GENERIC_WORDS, *(re.escape(h) for h in _PROVIDER_HEADERS if not re.search(_GENERIC_WORDS, h))]
)
_SENSITIVE_NAME = rf"(?=[\w-]{{0,64}}?(?:{_SENSITIVE_WORDS}))[\w-]++"
_ATOM = r"[^\s'\",;&()\[\]{}]++"
_NAMED_SECRET = re.compile(
    r"(?i)(?P<name>"
    rf"\b(?:{_SENSITIVE_HEADERS})['\"]?\s*+[:=]\s*+"  # a header, as in a dump, a dict or JSON
    rf"|b?['\"]{_SENSITIVE_NAME}['\"]\s*+[:,]\s*+"  # a quoted key: JSON, a dict, an ASGI header pair
    rf"|(?<![\w-]){_SENSITIVE_NAME}=)"  # key=value, as in a query string
    r"(?:(?P<b>b?)(?P<q>')(?:[^'\\]|\\.)*+'|(?P<b2>b?)(?P<q2>\")(?:[^\"\\]|\\.)*+\""  # a quoted value
    r"|\[[^\[\]]*+\]"  # a list of values
    rf"|(?:(?:bearer|basic)\s++)?{_ATOM}(?:,{_ATOM}|; ?{_ATOM})*+)"  # unquoted: `t=…,v1=…`, a cookie's pairs
)
# Cheap substring tests that must pass before `_NAMED_SECRET` is worth a scan (lower case)
_GENERIC_HINTS = ("secret", "passw", "token", "key", "sig", "authoriz", "cookie")
_NAME_HINTS = _GENERIC_HINTS + tuple(h for h in _PROVIDER_HEADERS if not any(g in h for g in _GENERIC_HINTS))
_BEARER = re.compile(r"(?i)\b(bearer\s++)[A-Za-z0-9._~+/=-]++")


def _shortest(strings: Iterable[str]) -> tuple[str, ...]:
    """Without the strings another one already covers (`whsec_sim_` under `whsec_`), sorted."""
    unique = set(strings)
    return tuple(sorted(s for s in unique if not any(s != other and other in s for other in unique)))


# The providers' key prefixes; each is matched where a word starts, so `task_live_1` is no Stripe key.
_PROVIDER_PREFIXES = _shortest(prefix for p in catalogue.PROVIDERS for prefix in p.secret_prefixes)
# Prefixes secrets carry, wherever they occur; each keeps its prefix, so a reader still sees *which* secret it was.
_SECRET_PREFIXES = re.compile(
    rf"(pay_sk_|(?<![A-Za-z0-9])(?:{'|'.join(map(re.escape, _PROVIDER_PREFIXES))}))[A-Za-z0-9_-]++"
    r"|\b(v[01]=)[0-9a-fA-F]{32,}+"  # the HMAC named `v1` in a Stripe-scheme signature (`t=…,v1=…`)
)
# Substrings `_SECRET_PREFIXES` cannot match without (lower case, as the hints above)
_PREFIX_HINTS = _shortest(["pay_sk_", "v1=", "v0=", *(p.lower() for p in _PROVIDER_PREFIXES)])
_URL_CREDENTIALS = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*+://[^/\s:@]*+:)[^/\s@]++@")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])(\.*+[A-Za-z0-9_%+-])[A-Za-z0-9._%+-]*+@([A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++)"
)
_SECRET_KEY_NAMES = re.compile(rf"(?i){_SENSITIVE_WORDS}")

# C0 controls, DEL, C1 controls and the Unicode line separators, shown as escapes
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROLS_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED_ESCAPES.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    r"""`a<NUL>b` → `a\x00b`, a newline → `\n`: control characters as visible escapes. `keep_newlines` for
    tracebacks, whose lines are meant to be lines."""
    return (_CONTROLS_BUT_NEWLINE if keep_newlines else _CONTROLS).sub(_escape, text)


def mask_email(address: str) -> str:
    """`jane.doe@example.com` → `j***@example.com`: enough to tell customers apart in a log, not to reach one."""
    return _EMAIL.sub(r"\1***@\2", address)


def _keep_prefix(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2)) + REDACTED


@lru_cache(maxsize=1024)  # field names come from code, a small set: each is matched once
def _is_secret_name(name: str) -> bool:
    return _SECRET_KEY_NAMES.search(name) is not None


def _keep_name(match: re.Match[str]) -> str:
    quote = match["q"] or match["q2"] or ""
    return f"{match['name']}{match['b'] or match['b2'] or ''}{quote}{REDACTED}{quote}"


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
        if any(hint in lowered for hint in _NAME_HINTS):
            text = _NAMED_SECRET.sub(_keep_name, text)
        if "bearer" in lowered:
            text = _BEARER.sub(r"\1" + REDACTED, text)
        if any(hint in lowered for hint in _PREFIX_HINTS):
            text = _SECRET_PREFIXES.sub(_keep_prefix, text)
        if "@" in text:
            text = _URL_CREDENTIALS.sub(r"\1" + REDACTED + "@", text)
            text = _EMAIL.sub(r"\1***@\2", text)
        return mask_phones_in(text)  # after the secrets: a masked phone never hides part of one

    def redact_value(self, key: str, value: Any) -> Any:
        """An extra field's value: redacted whole when its name says it is a secret, else redacted inside."""
        if _is_secret_name(key):
            return REDACTED
        if isinstance(value, str):
            return mask_phone(value) if is_phone_key(key) else self.redact(value)
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
    """Every secret value in the settings: keys, every provider's secrets, signing secrets, URL passwords."""
    values = [key.key for key in settings.api_keys]
    for name, config in settings.provider_configs.items():
        provider = catalogue.plugin(name)
        if provider is not None:
            values += provider.secrets(config)
    if settings.callback_secret:
        values.append(settings.callback_secret)
    values.extend(settings.callback_previous_secrets)
    for url in (settings.database_url, settings.redis_url, settings.broker_url):
        password = urlsplit(url).password if url else None
        if password:
            values.append(password)
    return [value for value in values if value]
