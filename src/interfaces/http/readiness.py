"""Readiness: can this process serve? The database answers, its migrations are at the head this code expects,
the broker (when configured) takes connections, and every enabled provider is completely configured.

The head revision is read from the migration scripts once, at start-up; the database check costs one small
query. The provider check is local (configuration and circuit state): it never calls a provider. An open
circuit is reported ("circuit open, retry in 12 s") but does not make the service unready: a provider's outage
is not ours, the process is healthy, and taking every instance out of the load balancer because a provider is
down would also stop webhooks, refunds on other providers, status reads and checkouts routed elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from infrastructure.config_reader import is_http_url
from infrastructure.db import migrate
from infrastructure.providers import catalogue
from interfaces.http.schemas.operations import ReadinessChecks, ReadinessResponse

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from infrastructure.broker import FastStreamEventPublisher
    from infrastructure.container import Container
    from infrastructure.providers.registry import ProviderRegistry
    from infrastructure.settings import Settings

log = logging.getLogger(__name__)

OK = "ok"
NOT_CONFIGURED = "not configured"
FAILED = "failed: "
_TIMEOUT_SECONDS = 3.0


class Readiness:
    def __init__(self, container: Container, settings: Settings) -> None:
        self._container, self._settings = container, settings
        self.head: str | None = None
        self._head_unknown: str | None = None

    async def load_head(self) -> None:
        """Reads the head revision from the migration scripts; a failure is reported by /ready, not fatal."""
        try:
            self.head = await asyncio.to_thread(migrate.head)
        except Exception as error:
            log.warning("readiness: cannot read the migration scripts", exc_info=error)
            self._head_unknown = f"unknown: the migration scripts could not be read ({type(error).__name__})"

    async def check(self) -> ReadinessResponse:
        (database, migrations), broker = await asyncio.gather(self._database(), self._broker())
        checks = ReadinessChecks(database=database, migrations=migrations, broker=broker, providers=self._providers())
        return ReadinessResponse(status="unavailable" if failures(checks) else "ok", checks=checks)

    def _providers(self) -> dict[str, str]:
        """Each enabled provider: "ok", "circuit open, retry in N s" (reported, not failing), or "failed: why"."""
        settings = self._settings
        checks = {name: provider_configuration_problems(settings, name) for name in settings.providers}
        unusable = ""
        try:
            registry: ProviderRegistry | None = self._container.payment_providers()
        except Exception as error:  # no provider can be routed to; its own problems say which one is to blame
            log.warning("readiness: the providers cannot be set up: %s", _first_line(error))
            registry, unusable = None, f"the providers cannot be set up ({_first_line(error)})"
        answers: dict[str, str] = {}
        for name, problems in checks.items():
            if problems or registry is None:
                answers[name] = FAILED + "; ".join(problems or [unusable])
                continue
            breaker = registry.get(name).breaker
            answers[name] = f"circuit open, retry in {breaker.retry_after} s" if breaker.is_open else OK
        return answers

    async def _broker(self) -> str:
        """The event broker (PAYMENTS_BROKER_URL): "ok", "not configured", or why it cannot take events."""
        publisher: FastStreamEventPublisher | None = self._container.event_publisher()
        if publisher is None:
            return NOT_CONFIGURED
        try:
            return await asyncio.wait_for(publisher.check(), _TIMEOUT_SECONDS)
        except TimeoutError:
            return f"failed: no answer within {_TIMEOUT_SECONDS:g} s"

    async def _database(self) -> tuple[str, str]:
        engine: AsyncEngine = self._container.engine()
        try:
            current = await asyncio.wait_for(migrate.current_revision(engine), _TIMEOUT_SECONDS)
        except TimeoutError:
            return f"failed: no answer within {_TIMEOUT_SECONDS:g} s", "unknown"
        except Exception as error:  # any driver error means "not ready"; the log has the details
            log.warning("readiness: database check failed", exc_info=error)
            return f"failed: {type(error).__name__}", "unknown"
        if self.head is None and self._head_unknown is None:  # an app run without its lifespan
            await self.load_head()
        if self._head_unknown is not None:
            return OK, self._head_unknown
        if current == self.head:
            return OK, OK
        return OK, f"not at head (database at {current or 'no revision'}, code expects {self.head})"


def failures(checks: ReadinessChecks) -> str:
    """The failing checks, named, for the problem's detail; empty when ready."""
    failed = [
        f"{name}: {value}"
        for name, value in (("database", checks.database), ("migrations", checks.migrations), ("broker", checks.broker))
        if value not in (OK, NOT_CONFIGURED)
    ]
    failed += [f"providers: {name}: {value}" for name, value in checks.providers.items() if value.startswith(FAILED)]
    if not checks.providers:
        failed.append("providers: none enabled")
    return "; ".join(failed)


def provider_configuration_problems(settings: Settings, name: str) -> list[str]:
    """What keeps an enabled provider from working, found without calling it: the variables it requires and
    lacks, an API base that is not an absolute http(s) URL, and what its plugin checks besides (PayPal's
    verification mode, the simulator's secret). `load_settings` refuses most of these; /ready asks again of
    the Settings the process actually runs with, however they were made."""
    provider = catalogue.plugin(name)
    if provider is None:
        return ["not implemented by this version"]
    config = settings.provider_configs.get(name)
    problems = [f"{variable} is not set" for variable in provider.missing(config)]
    if config is None:
        return problems or ["not configured"]
    problems += [
        f"{variable} is not an http(s) URL"
        for variable, base in provider.api_bases(config).items()
        if not is_http_url(base)
    ]
    return problems + provider.local_problems(config, settings.public_url)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
