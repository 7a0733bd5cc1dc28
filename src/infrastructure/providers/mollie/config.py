"""Mollie's configuration, read from `PAYMENTS_MOLLIE_*` and checked in the style of `infrastructure/settings.py`:
every mistake is one line naming the variable and what is wrong, all reported together. A key is never echoed.

- `PAYMENTS_MOLLIE_API_KEY`: comma-separated API keys, the first is used for every call (the others are kept
  for rotation). Mollie keys start with `test_` (test mode) or `live_` (https://docs.mollie.com/reference/authentication);
  anything else is surely a pasted profile id, organization token or typo, refused before the first call fails.
- `PAYMENTS_MOLLIE_API_BASE`: default `https://api.mollie.com`; the adapter adds `/v2/…` itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

KEY_VARIABLE = "PAYMENTS_MOLLIE_API_KEY"
BASE_VARIABLE = "PAYMENTS_MOLLIE_API_BASE"
DEFAULT_API_BASE = "https://api.mollie.com"

_KEY_BODY = re.compile(r"[0-9A-Za-z]+")


@dataclass(frozen=True, slots=True)
class MollieConfig:
    api_keys: tuple[str, ...] = field(repr=False)
    api_base: str = DEFAULT_API_BASE

    def __post_init__(self) -> None:
        if not self.api_keys:
            raise ValueError("MollieConfig needs at least one API key")

    @property
    def api_key(self) -> str:
        """The key every call is made with."""
        return self.api_keys[0]


def read_mollie_config(env: Mapping[str, str]) -> tuple[MollieConfig | None, list[str]]:
    """`(config, [])` when Mollie is configured and sound; `(None, [])` when no key is set (Mollie is off);
    `(None, problems)` otherwise, one line per mistake."""
    problems: list[str] = []
    keys = _keys(env.get(KEY_VARIABLE, ""), problems)
    base = _base(env.get(BASE_VARIABLE, ""), problems)
    if problems or not keys:
        return None, problems
    return MollieConfig(keys, base), []


def _keys(raw: str, problems: list[str]) -> tuple[str, ...]:
    keys = tuple(part.strip() for part in raw.split(",") if part.strip())
    for position, key in enumerate(keys, start=1):
        which = "" if len(keys) == 1 else f" (key {position})"
        prefix, _, body = key.partition("_")
        if prefix not in ("test", "live") or not body:
            problems.append(f"{KEY_VARIABLE} must start with test_ or live_{which}")
        elif not _KEY_BODY.fullmatch(body):
            problems.append(f"{KEY_VARIABLE} may hold only letters and digits after test_ or live_{which}")
    if len(set(keys)) != len(keys):
        problems.append(f"{KEY_VARIABLE} names a key twice")
    return keys


def _base(raw: str, problems: list[str]) -> str:
    value = raw.strip()
    if not value:
        return DEFAULT_API_BASE
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"{BASE_VARIABLE} must be a http/https URL, got {value!r}")
        return DEFAULT_API_BASE
    base = value.rstrip("/")
    if base.endswith("/v2"):
        problems.append(f"{BASE_VARIABLE} must not end in /v2 (the adapter adds it), got {value!r}")
    return base
