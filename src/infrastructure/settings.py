"""Configuration from `PAYMENTS_*` environment variables (and a `.env` file in the working directory).

Every mistake is collected and reported at once, one line each, naming the variable and what is wrong, so an
operator fixes a bad deployment in one pass. Production refuses unsafe configuration outright.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values

from application.data.api_keys import SCOPES
from infrastructure.callbacks.configured_url import configured_callback_url_refusal

T = TypeVar("T")

KNOWN_PROVIDERS = ("stripe", "paystack", "flutterwave", "paypal", "simulator")
_PROVIDER_SECRETS: Mapping[str, tuple[str, ...]] = {
    "stripe": ("stripe_secret_key", "stripe_webhook_secrets"),
    "paystack": ("paystack_secret_key",),
    "flutterwave": ("flutterwave_secret_key", "flutterwave_secret_hash"),
    "paypal": ("paypal_client_id", "paypal_client_secret", "paypal_webhook_id"),
    "simulator": (),
}


def missing_provider_settings(settings: Settings, provider: str) -> list[str]:
    """The PAYMENTS_* variables an enabled provider needs and `settings` lacks. `load_settings` refuses such a
    configuration; /ready asks again of the Settings the process actually runs with, however they were made."""
    return [f"PAYMENTS_{name.upper()}" for name in _PROVIDER_SECRETS.get(provider, ()) if not getattr(settings, name)]


STRONG_SECRET_LENGTH = 32


def _weak(secret: str) -> bool:
    """Too short, or too few different characters to be random (e.g. "x" * 40, "1234…" repeated)."""
    return len(secret) < STRONG_SECRET_LENGTH or len(set(secret)) < 10


def _https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or parts.hostname in ("localhost", "127.0.0.1", "::1")


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ConfiguredApiKey:
    name: str
    key: str = field(repr=False)
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite+aiosqlite:///./payments.db"
    redis_url: str | None = None
    broker_url: str | None = None
    api_keys: tuple[ConfiguredApiKey, ...] = ()
    providers: tuple[str, ...] = ("simulator",)
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    stripe_api_base: str = "https://api.stripe.com"
    paystack_secret_key: str | None = field(default=None, repr=False)
    paystack_api_base: str = "https://api.paystack.co"
    flutterwave_secret_key: str | None = field(default=None, repr=False)
    flutterwave_secret_hash: str | None = field(default=None, repr=False)
    flutterwave_api_base: str = "https://api.flutterwave.com"
    paypal_client_id: str | None = None
    paypal_client_secret: str | None = field(default=None, repr=False)
    paypal_webhook_id: str | None = None
    paypal_api_base: str = "https://api-m.sandbox.paypal.com"
    paypal_webhook_verification: str = "offline"  # or "postback" (POST /v1/notifications/verify-webhook-signature)
    provider_timeout_seconds: float = 10.0
    circuit_failure_threshold: int = 5
    circuit_reset_seconds: int = 30
    # how long a worker owns a claimed outbox row or notification; must exceed a callback's timeout (10 s)
    worker_lease_seconds: int = 120
    worker_in_process: bool = False  # `serve` also runs the worker loops (default on in development)
    simulator_webhook_secret: str = field(default_factory=lambda: "whsec_sim_" + secrets.token_hex(16), repr=False)
    simulator_refund_delay_seconds: float = 0.5
    order_callback_url: str | None = None
    # callbacks (a checkout's callback_url, the order callback URL) may go to loopback and private addresses
    callback_allow_private_networks: bool = True
    callback_secret: str | None = field(default=None, repr=False)
    rate_limit_per_second: int = 50
    rate_limit_per_minute: int = 1500
    webhook_rate_limit_per_second: int = 500
    max_body_bytes: int = 65536
    retry_base_seconds: int = 30
    retry_max_age_seconds: int = 259200
    log_level: str = "info"
    log_format: str = "console"
    db_pool_size: int = 10
    # payment statuses kept in memory per API process (Postgres only; 0 turns the cache off)
    status_cache_entries: int = 10000
    status_cache_ttl_seconds: int = 30
    allow_sqlite_in_production: bool = False
    refund_paid_after_cancel: bool = False  # refund, automatically, what a provider took after we cancelled

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Reads the environment (over `.env`), validates everything, raises SettingsError with every problem."""
    source: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        source.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source.update(os.environ if environ is None else environ)
    return _Reader(source).settings()


class _Reader:
    def __init__(self, source: Mapping[str, str]) -> None:
        self._source = {k: v for k, v in source.items() if k.startswith("PAYMENTS_")}
        self.problems: list[str] = []

    def settings(self) -> Settings:
        env = self._choice("ENV", ("development", "production"), "development")
        production = env == "production"
        host = self._str("HOST") or "127.0.0.1"
        port = self._int("PORT", 8000, 1, 65535)
        values: dict[str, Any] = {
            "env": env,
            "host": host,
            "port": port,
            "public_url": self._url("PUBLIC_URL", ("http", "https")) or f"http://{host}:{port}",
            "database_url": self._database_url(),
            "redis_url": self._url("REDIS_URL", ("redis", "rediss")),
            "broker_url": self._url("BROKER_URL", ("amqp", "amqps", "nats", "kafka", "redis", "rediss")),
            "api_keys": self._api_keys(),
            "providers": self._providers(production),
            "stripe_secret_key": self._str("STRIPE_SECRET_KEY"),
            "stripe_webhook_secrets": self._list("STRIPE_WEBHOOK_SECRETS"),
            "paystack_secret_key": self._str("PAYSTACK_SECRET_KEY"),
            "flutterwave_secret_key": self._str("FLUTTERWAVE_SECRET_KEY"),
            "flutterwave_secret_hash": self._str("FLUTTERWAVE_SECRET_HASH"),
            "paypal_client_id": self._str("PAYPAL_CLIENT_ID"),
            "paypal_client_secret": self._str("PAYPAL_CLIENT_SECRET"),
            "paypal_webhook_id": self._str("PAYPAL_WEBHOOK_ID"),
            "order_callback_url": self._url("ORDER_CALLBACK_URL", ("http", "https")),
            "callback_secret": self._str("CALLBACK_SECRET"),
            "callback_allow_private_networks": self._choice(
                "CALLBACK_ALLOW_PRIVATE_NETWORKS", ("true", "false"), str(not production).lower()
            )
            == "true",
            "rate_limit_per_second": self._int("RATE_LIMIT_PER_SECOND", 50, 1, 1_000_000),
            "rate_limit_per_minute": self._int("RATE_LIMIT_PER_MINUTE", 1500, 1, 60_000_000),
            "webhook_rate_limit_per_second": self._int("WEBHOOK_RATE_LIMIT_PER_SECOND", 500, 1, 1_000_000),
            "max_body_bytes": self._int("MAX_BODY_BYTES", 65536, 1024, 100 * 1024 * 1024),
            "retry_base_seconds": self._int("RETRY_BASE_SECONDS", 30, 1, 86400),
            "retry_max_age_seconds": self._int("RETRY_MAX_AGE_SECONDS", 259200, 60, 30 * 86400),
            "log_level": self._choice("LOG_LEVEL", ("debug", "info", "warning", "error"), "info"),
            "log_format": self._choice("LOG_FORMAT", ("json", "console"), "json" if production else "console"),
            "db_pool_size": self._int("DB_POOL_SIZE", 10, 1, 500),
            "status_cache_entries": self._int("STATUS_CACHE_ENTRIES", 10000, 0, 10_000_000),
            "status_cache_ttl_seconds": self._int("STATUS_CACHE_TTL_SECONDS", 30, 1, 86400),
            "allow_sqlite_in_production": self._choice("ALLOW_SQLITE_IN_PRODUCTION", ("true", "false"), "false")
            == "true",
            "refund_paid_after_cancel": self._choice("REFUND_PAID_AFTER_CANCEL", ("true", "false"), "false") == "true",
            "paypal_webhook_verification": self._choice(
                "PAYPAL_WEBHOOK_VERIFICATION", ("offline", "postback"), "offline"
            ),
            "provider_timeout_seconds": self._int("PROVIDER_TIMEOUT_SECONDS", 10, 1, 120),
            "circuit_failure_threshold": self._int("CIRCUIT_FAILURE_THRESHOLD", 5, 1, 1000),
            "circuit_reset_seconds": self._int("CIRCUIT_RESET_SECONDS", 30, 1, 3600),
            "worker_lease_seconds": self._int("WORKER_LEASE_SECONDS", 120, 1, 3600),
            "worker_in_process": self._choice("WORKER_IN_PROCESS", ("true", "false"), str(not production).lower())
            == "true",
        }
        for name in ("STRIPE_API_BASE", "PAYSTACK_API_BASE", "FLUTTERWAVE_API_BASE", "PAYPAL_API_BASE"):
            base = self._url(name, ("http", "https"))
            if base:
                values[name.lower()] = base.rstrip("/")
        secret = self._str("SIMULATOR_WEBHOOK_SECRET")
        if secret:
            values["simulator_webhook_secret"] = secret
        delay = self._str("SIMULATOR_REFUND_DELAY_SECONDS")
        if delay is not None:
            values["simulator_refund_delay_seconds"] = self._parse("SIMULATOR_REFUND_DELAY_SECONDS", delay, float)
        if values["order_callback_url"] and not values["callback_secret"]:
            self._problem("CALLBACK_SECRET", "is required when PAYMENTS_ORDER_CALLBACK_URL is set")
        self._order_callback_destination(values)
        self._provider_secrets(values)
        if production:
            self._production_rules(values)
        if self.problems:
            raise SettingsError(self.problems)
        return Settings(**values)

    # ---- rules across variables ---------------------------------------------------------------------
    def _provider_secrets(self, values: dict[str, Any]) -> None:
        for provider in values["providers"]:
            for attribute in _PROVIDER_SECRETS.get(provider, ()):
                if not values.get(attribute):
                    self._problem(attribute.upper(), f"is required because {provider} is in PAYMENTS_PROVIDERS")

    def _order_callback_destination(self, values: dict[str, Any]) -> None:
        """The rule a checkout's callback_url is held to; a host name is resolved here, for at most 2 s."""
        if not values["order_callback_url"] or values["callback_allow_private_networks"]:
            return
        refusal = configured_callback_url_refusal(values["order_callback_url"])
        if refusal is not None:
            self._problem(
                "ORDER_CALLBACK_URL",
                f"must reach a public address while PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS is false: {refusal}",
            )

    def _production_rules(self, values: dict[str, Any]) -> None:
        """What is fine on a laptop and unsafe in production: each mistake is one line, all reported together."""
        if not values["api_keys"]:
            self._problem("API_KEYS", "must list at least one key in production")
        for key in values["api_keys"]:
            if _weak(key.key):
                self._problem(
                    "API_KEYS",
                    f"key {key.name!r} is too weak for production: use at least {STRONG_SECRET_LENGTH} random "
                    "characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')",
                )
        if "simulator" in values["providers"]:
            self._problem("PROVIDERS", "must not enable the simulator in production (it pays without a provider)")
        if values["database_url"].startswith("sqlite") and not values["allow_sqlite_in_production"]:
            self._problem(
                "DATABASE_URL", "is SQLite; production needs Postgres (or PAYMENTS_ALLOW_SQLITE_IN_PRODUCTION=true)"
            )
        if not _https_or_loopback(values["public_url"]):  # loopback: a trial on one machine, unreachable from outside
            got = f"got {self._str('PUBLIC_URL')!r}" if self._str("PUBLIC_URL") else "it is not set"
            self._problem(
                "PUBLIC_URL",
                f"must be the service's https:// address in production (http only on localhost); {got}",
            )
        for provider in values["providers"]:
            base = values.get(f"{provider}_api_base")
            if isinstance(base, str) and not base.startswith("https://"):
                self._problem(
                    f"{provider.upper()}_API_BASE",
                    f"must be https in production (it carries the secret key); got {base!r}",
                )
        if values["callback_secret"] and _weak(values["callback_secret"]):
            self._problem(
                "CALLBACK_SECRET", f"is too weak for production: use at least {STRONG_SECRET_LENGTH} random characters"
            )

    # ---- single variables ---------------------------------------------------------------------------
    def _database_url(self) -> str:
        url = self._str("DATABASE_URL") or "sqlite+aiosqlite:///./payments.db"
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            self._problem("DATABASE_URL", "must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    def _providers(self, production: bool) -> tuple[str, ...]:
        raw = self._list("PROVIDERS")
        if not raw:
            if production:  # no simulator default here: it would be refused too, a second line for one mistake
                self._problem("PROVIDERS", "must name at least one provider in production")
                return ()
            return ("simulator",)
        unknown = [p for p in raw if p not in KNOWN_PROVIDERS]
        if unknown:
            self._problem("PROVIDERS", f"names unknown providers {unknown}; known: {', '.join(KNOWN_PROVIDERS)}")
        if len(set(raw)) != len(raw):
            self._problem("PROVIDERS", "names a provider twice")
        return tuple(p for p in raw if p in KNOWN_PROVIDERS)

    def _api_keys(self) -> tuple[ConfiguredApiKey, ...]:
        raw = self._str("API_KEYS")
        if raw is None:
            return ()
        try:
            items = json.loads(raw)
        except json.JSONDecodeError as error:
            self._problem("API_KEYS", f"is not valid JSON ({error.msg} at position {error.pos})")
            return ()
        if not isinstance(items, list):
            self._problem("API_KEYS", 'must be a JSON list like [{"name": "orders", "key": "…", "scopes": [...]}]')
            return ()
        keys: list[ConfiguredApiKey] = []
        for index, item in enumerate(items):
            key = self._api_key(index, item)
            if key is not None:
                keys.append(key)
        if len({k.name for k in keys}) != len(keys):
            self._problem("API_KEYS", "uses a name twice")
        return tuple(keys)

    def _api_key(self, index: int, item: Any) -> ConfiguredApiKey | None:
        where = f"entry {index}"
        if not isinstance(item, dict):
            self._problem("API_KEYS", f"{where} must be an object with name, key and scopes")
            return None
        name, key, scopes = item.get("name"), item.get("key"), item.get("scopes")
        if not isinstance(name, str) or not name:
            self._problem("API_KEYS", f"{where} needs a non-empty string 'name'")
            return None
        if not isinstance(key, str) or len(key) < 16:
            self._problem("API_KEYS", f"{where} ({name}) needs a 'key' of at least 16 characters")
            return None
        if not isinstance(scopes, list) or not scopes or any(s not in SCOPES for s in scopes):
            self._problem("API_KEYS", f"{where} ({name}) needs 'scopes' from {', '.join(SCOPES)}")
            return None
        return ConfiguredApiKey(name, key, tuple(scopes))

    def _str(self, name: str) -> str | None:
        value = self._source.get(f"PAYMENTS_{name}")
        return value.strip() if value is not None and value.strip() else None

    def _list(self, name: str) -> tuple[str, ...]:
        raw = self._str(name)
        return tuple(part.strip() for part in raw.split(",") if part.strip()) if raw else ()

    def _int(self, name: str, default: int, low: int, high: int) -> int:
        raw = self._str(name)
        if raw is None:
            return default
        value = self._parse(name, raw, int)
        if value is not None and not low <= value <= high:
            self._problem(name, f"must be between {low} and {high}, got {value}")
        return default if value is None else value

    def _parse(self, name: str, raw: str, kind: Callable[[str], T]) -> T | None:
        try:
            return kind(raw)
        except ValueError:
            self._problem(name, f"must be a{'n integer' if kind is int else ' number'}, got {raw!r}")
            return None

    def _choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        raw = self._str(name)
        if raw is None:
            return default
        if raw.lower() not in allowed:
            self._problem(name, f"must be one of {', '.join(allowed)}, got {raw!r}")
            return default
        return raw.lower()

    def _url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        raw = self._str(name)
        if raw is None:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not parts.netloc:
            self._problem(name, f"must be a {'/'.join(schemes)} URL, got {raw!r}")
            return None
        return raw.rstrip("/") if schemes[0] == "http" else raw

    def _problem(self, name: str, what: str) -> None:
        self.problems.append(f"PAYMENTS_{name} {what}")
