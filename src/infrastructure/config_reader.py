"""Reading `PAYMENTS_*` variables from one mapping, shared by the settings and every provider's configuration.

A reader collects every mistake as one line naming the variable and what is wrong, so an operator fixes a bad
deployment in one pass. A line never repeats a secret's value: only URLs, numbers and choices are echoed.
A provider reads through a reader scoped to its own prefix (`PAYMENTS_STRIPE_`), so it sees only its variables.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

PREFIX = "PAYMENTS_"


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class EnvReader:
    """Variables named `prefix + name`; blank values count as unset. `problems` holds what was wrong."""

    def __init__(self, source: Mapping[str, str], prefix: str = PREFIX) -> None:
        self._source, self._prefix = source, prefix
        self.problems: list[str] = []

    def variable(self, name: str) -> str:
        return self._prefix + name

    def any_set(self) -> bool:
        """Whether any variable under this reader's prefix has a value."""
        return any(key.startswith(self._prefix) and value.strip() for key, value in self._source.items())

    def text(self, name: str) -> str | None:
        value = self._source.get(self._prefix + name)
        return value.strip() if value is not None and value.strip() else None

    def csv(self, name: str) -> tuple[str, ...]:
        raw = self.text(name)
        return tuple(part.strip() for part in raw.split(",") if part.strip()) if raw else ()

    def networks(self, name: str) -> tuple[str, ...]:
        """Comma-separated CIDRs (or single addresses), each normalised (`10.0.0.1/8` → `10.0.0.0/8`)."""
        found: list[str] = []
        for part in self.csv(name):
            try:
                found.append(str(ipaddress.ip_network(part, strict=False)))
            except ValueError:
                self.problem(name, f"must be comma-separated CIDRs or IP addresses, got {part!r}")
        return tuple(found)

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        value = self.parse(name, raw, int)
        if value is not None and not low <= value <= high:
            self.problem(name, f"must be between {low} and {high}, got {value}")
        return default if value is None else value

    def number(self, name: str, default: float) -> float:
        raw = self.text(name)
        value = None if raw is None else self.parse(name, raw, float)
        return default if value is None else value

    def parse(self, name: str, raw: str, kind: Callable[[str], T]) -> T | None:
        try:
            return kind(raw)
        except ValueError:
            self.problem(name, f"must be a{'n integer' if kind is int else ' number'}, got {raw!r}")
            return None

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() not in allowed:
            self.problem(name, f"must be one of {', '.join(allowed)}, got {raw!r}")
            return default
        return raw.lower()

    def url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not parts.netloc:
            self.problem(name, f"must be a {'/'.join(schemes)} URL, got {raw!r}")
            return None
        return raw.rstrip("/") if schemes[0] == "http" else raw

    def api_base(self, name: str, default: str) -> str:
        """A provider's API base: an http(s) URL without a trailing slash (production requires https)."""
        return self.url(name, ("http", "https")) or default

    def problem(self, name: str, what: str) -> None:
        self.problems.append(f"{self._prefix}{name} {what}")


def is_http_url(value: object) -> bool:
    """An absolute http(s) URL with a host: what a provider's API base or the public URL must be."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
