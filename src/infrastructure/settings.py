"""Configuration from `PAYMENTS_*` environment variables (and a `.env` file in the working directory).

Every mistake is collected and reported at once, one line each, naming the variable and what is wrong, so an
operator fixes a bad deployment in one pass. Production refuses unsafe configuration outright.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from infrastructure.callbacks.configured_url import configured_callback_url_refusal
from infrastructure.config_reader import EnvReader, SettingsError
from infrastructure.configured_api_keys import ConfiguredApiKey, read_api_keys
from infrastructure.providers import catalogue
from infrastructure.providers.plugin import ProviderPlugin
from infrastructure.risk.rules import RiskRules
from infrastructure.risk.rules_file import read_risk_rules
from infrastructure.tracing.config import otel_endpoint

__all__ = ["ConfiguredApiKey", "Settings", "SettingsError", "load_settings"]

STRONG_SECRET_LENGTH = 32


def _weak(secret: str) -> bool:
    """Too short, or too few different characters to be random (e.g. "x" * 40, "1234…" repeated)."""
    return len(secret) < STRONG_SECRET_LENGTH or len(set(secret)) < 10


def _https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or parts.hostname in ("localhost", "127.0.0.1", "::1")


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
    # name → that provider's configuration object (its package's config.py), for every provider whose variables
    # are set, enabled or not; the simulator's is always there (see providers/catalogue.py)
    provider_configs: Mapping[str, object] = field(default_factory=catalogue.default_configs, repr=False)
    provider_timeout_seconds: float = 10.0
    circuit_failure_threshold: int = 5
    circuit_reset_seconds: int = 30
    # how long a worker owns a claimed outbox row or notification; must exceed a callback's timeout (10 s)
    worker_lease_seconds: int = 120
    worker_in_process: bool = False  # `serve` also runs the worker loops (default on in development)
    order_callback_url: str | None = None
    # callbacks (a checkout's callback_url, the order callback URL) may go to loopback and private addresses
    callback_allow_private_networks: bool = True
    callback_secret: str | None = field(default=None, repr=False)
    # the rest of PAYMENTS_CALLBACK_SECRET while it is rotated: each adds its own `v1` to every callback's signature
    callback_previous_secrets: tuple[str, ...] = field(default=(), repr=False)
    rate_limit_per_second: int = 50
    rate_limit_per_minute: int = 1500
    webhook_rate_limit_per_second: int = 500
    max_body_bytes: int = 65536
    retry_base_seconds: int = 30
    retry_max_age_seconds: int = 259200
    log_level: str = "info"
    log_format: str = "console"
    db_pool_size: int = 10
    db_connect_timeout_s: int = 60  # `serve` and `worker` wait this long for the database at start
    # payment statuses kept in memory per API process (Postgres only; 0 turns the cache off)
    status_cache_entries: int = 10000
    status_cache_ttl_seconds: int = 30
    allow_sqlite_in_production: bool = False
    refund_paid_after_cancel: bool = False  # refund, automatically, what a provider took after we cancelled
    otel_endpoint: str | None = None  # OTLP/HTTP base URL: tracing is off without it (infrastructure/tracing)
    webhook_body_retention_days: int = 30  # then a worker job drops raw webhook bodies and headers
    ip_rate_limit_per_minute: int = 120  # per client IP, for unauthenticated and failed-authentication requests
    trusted_proxies: tuple[str, ...] = ()  # CIDRs whose X-Forwarded-For is believed for the client IP
    # risk checks at checkout (infrastructure/risk): the rules file's rules (None: no file), the external scorer
    risk_rules: RiskRules | None = None
    risk_url: str | None = None
    risk_timeout_ms: int = 300
    risk_fail_open: bool = True

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


class _Reader(EnvReader):
    def settings(self) -> Settings:
        env = self.choice("ENV", ("development", "production"), "development")
        production = env == "production"
        host = self.text("HOST") or "127.0.0.1"
        port = self.integer("PORT", 8000, 1, 65535)
        values: dict[str, Any] = {
            "env": env,
            "host": host,
            "port": port,
            "public_url": self.url("PUBLIC_URL", ("http", "https")) or f"http://{host}:{port}",
            "database_url": self._database_url(),
            "redis_url": self.url("REDIS_URL", ("redis", "rediss")),
            "broker_url": self.url("BROKER_URL", ("amqp", "amqps", "nats", "kafka", "redis", "rediss")),
            "api_keys": read_api_keys(self),
            "providers": self._providers(production),
            "order_callback_url": self.url("ORDER_CALLBACK_URL", ("http", "https")),
            "callback_secret": (self.csv("CALLBACK_SECRET") or (None,))[0],
            "callback_previous_secrets": self.csv("CALLBACK_SECRET")[1:],
            "callback_allow_private_networks": self.choice(
                "CALLBACK_ALLOW_PRIVATE_NETWORKS", ("true", "false"), str(not production).lower()
            )
            == "true",
            "rate_limit_per_second": self.integer("RATE_LIMIT_PER_SECOND", 50, 1, 1_000_000),
            "rate_limit_per_minute": self.integer("RATE_LIMIT_PER_MINUTE", 1500, 1, 60_000_000),
            "webhook_rate_limit_per_second": self.integer("WEBHOOK_RATE_LIMIT_PER_SECOND", 500, 1, 1_000_000),
            "max_body_bytes": self.integer("MAX_BODY_BYTES", 65536, 1024, 100 * 1024 * 1024),
            "retry_base_seconds": self.integer("RETRY_BASE_SECONDS", 30, 1, 86400),
            "retry_max_age_seconds": self.integer("RETRY_MAX_AGE_SECONDS", 259200, 60, 30 * 86400),
            "log_level": self.choice("LOG_LEVEL", ("debug", "info", "warning", "error"), "info"),
            "log_format": self.choice("LOG_FORMAT", ("json", "console"), "json" if production else "console"),
            "db_pool_size": self.integer("DB_POOL_SIZE", 10, 1, 500),
            "db_connect_timeout_s": self.integer("DB_CONNECT_TIMEOUT_S", 60, 0, 86400),
            "status_cache_entries": self.integer("STATUS_CACHE_ENTRIES", 10000, 0, 10_000_000),
            "status_cache_ttl_seconds": self.integer("STATUS_CACHE_TTL_SECONDS", 30, 1, 86400),
            "allow_sqlite_in_production": self.choice("ALLOW_SQLITE_IN_PRODUCTION", ("true", "false"), "false")
            == "true",
            "refund_paid_after_cancel": self.choice("REFUND_PAID_AFTER_CANCEL", ("true", "false"), "false") == "true",
            "webhook_body_retention_days": self.integer("WEBHOOK_BODY_RETENTION_DAYS", 30, 1, 3650),
            "ip_rate_limit_per_minute": self.integer("IP_RATE_LIMIT_PER_MINUTE", 120, 1, 60_000_000),
            "trusted_proxies": self.networks("TRUSTED_PROXIES"),
            "provider_timeout_seconds": self.integer("PROVIDER_TIMEOUT_SECONDS", 10, 1, 120),
            "circuit_failure_threshold": self.integer("CIRCUIT_FAILURE_THRESHOLD", 5, 1, 1000),
            "circuit_reset_seconds": self.integer("CIRCUIT_RESET_SECONDS", 30, 1, 3600),
            "worker_lease_seconds": self.integer("WORKER_LEASE_SECONDS", 120, 1, 3600),
            "worker_in_process": self.choice("WORKER_IN_PROCESS", ("true", "false"), str(not production).lower())
            == "true",
            "risk_url": self.url("RISK_URL", ("http", "https")),
            "risk_timeout_ms": self.integer("RISK_TIMEOUT_MS", 300, 1, 60_000),
            "risk_fail_open": self.choice("RISK_FAIL_OPEN", ("true", "false"), "true") == "true",
        }
        values["provider_configs"], mistakes = catalogue.read_configs(self._source)
        self.problems += mistakes
        values["otel_endpoint"], mistakes = otel_endpoint(self._source)
        self.problems += mistakes
        values["risk_rules"], mistakes = read_risk_rules(self.text("RISK_RULES"))
        self.problems += mistakes  # one line per mistake in the rules file
        if values["order_callback_url"] and not values["callback_secret"]:
            self.problem("CALLBACK_SECRET", "is required when PAYMENTS_ORDER_CALLBACK_URL is set")
        self._order_callback_destination(values)
        self._provider_secrets(values)
        if production:
            self._production_rules(values)
        if self.problems:
            raise SettingsError(self.problems)
        return Settings(**values)

    # ---- rules across variables ---------------------------------------------------------------------
    def _provider_secrets(self, values: dict[str, Any]) -> None:
        for provider, config in _enabled(values):
            self.problems += provider.refusals(config)

    def _order_callback_destination(self, values: dict[str, Any]) -> None:
        """The rule a checkout's callback_url is held to; a host name is resolved here, for at most 2 s."""
        if not values["order_callback_url"] or values["callback_allow_private_networks"]:
            return
        refusal = configured_callback_url_refusal(values["order_callback_url"])
        if refusal is not None:
            self.problem(
                "ORDER_CALLBACK_URL",
                f"must reach a public address while PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS is false: {refusal}",
            )

    def _production_rules(self, values: dict[str, Any]) -> None:
        """What is fine on a laptop and unsafe in production: each mistake is one line, all reported together."""
        if not values["api_keys"]:
            self.problem("API_KEYS", "must list at least one key in production")
        for key in values["api_keys"]:
            if _weak(key.key):
                self.problem(
                    "API_KEYS",
                    f"key {key.name!r} is too weak for production: use at least {STRONG_SECRET_LENGTH} random "
                    "characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')",
                )
        if "simulator" in values["providers"]:
            self.problem("PROVIDERS", "must not enable the simulator in production (it pays without a provider)")
        if values["database_url"].startswith("sqlite") and not values["allow_sqlite_in_production"]:
            self.problem(
                "DATABASE_URL", "is SQLite; production needs Postgres (or PAYMENTS_ALLOW_SQLITE_IN_PRODUCTION=true)"
            )
        if not _https_or_loopback(values["public_url"]):  # loopback: a trial on one machine, unreachable from outside
            got = f"got {self.text('PUBLIC_URL')!r}" if self.text("PUBLIC_URL") else "it is not set"
            self.problem(
                "PUBLIC_URL",
                f"must be the service's https:// address in production (http only on localhost); {got}",
            )
        for provider, config in _enabled(values):
            bases = {} if config is None else provider.api_bases(config)
            for variable, base in bases.items():
                if not base.startswith("https://"):
                    self.problems.append(
                        f"{variable} must be https in production (it carries the secret key); got {base!r}"
                    )
        if any(
            secret and _weak(secret) for secret in (values["callback_secret"], *values["callback_previous_secrets"])
        ):
            self.problem(
                "CALLBACK_SECRET", f"is too weak for production: use at least {STRONG_SECRET_LENGTH} random characters"
            )

    # ---- single variables ---------------------------------------------------------------------------
    def _database_url(self) -> str:
        url = self.text("DATABASE_URL") or "sqlite+aiosqlite:///./payments.db"
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            self.problem("DATABASE_URL", "must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    def _providers(self, production: bool) -> tuple[str, ...]:
        raw = self.csv("PROVIDERS")
        if not raw:
            if production:  # no simulator default here: it would be refused too, a second line for one mistake
                self.problem("PROVIDERS", "must name at least one provider in production")
                return ()
            return ("simulator",)
        unknown = [p for p in raw if p not in catalogue.KNOWN]
        if unknown:
            self.problem("PROVIDERS", f"names unknown providers {unknown}; known: {', '.join(catalogue.KNOWN)}")
        if len(set(raw)) != len(raw):
            self.problem("PROVIDERS", "names a provider twice")
        return tuple(p for p in raw if p in catalogue.KNOWN)


def _enabled(values: dict[str, Any]) -> list[tuple[ProviderPlugin[Any], object | None]]:
    """Each enabled provider and its configuration (None when none of its variables is set)."""
    configs: Mapping[str, object] = values["provider_configs"]
    return [(p, configs.get(p.name)) for name in values["providers"] if (p := catalogue.plugin(name)) is not None]
