"""Readiness: is the database reachable and migrated to the head revision this code expects?

The head revision is read from the migration scripts once, at start-up; each check costs one small query.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from infrastructure.db import migrate
from interfaces.http.schemas.operations import ReadinessChecks, ReadinessResponse

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from infrastructure.broker import FastStreamEventPublisher
    from interfaces.http.services import Services

log = logging.getLogger(__name__)

OK = "ok"
NOT_CONFIGURED = "not configured"
_TIMEOUT_SECONDS = 3.0


class Readiness:
    def __init__(self, services: Services) -> None:
        self._services = services
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
        settings = self._services.settings
        checks = ReadinessChecks(
            database=database,
            migrations=migrations,
            broker=broker,
            providers=list(settings.providers),
        )
        ready = database == OK and migrations == OK and broker in (OK, NOT_CONFIGURED)
        return ReadinessResponse(status="ok" if ready else "unavailable", checks=checks)

    async def _broker(self) -> str:
        """The event broker (PAYMENTS_BROKER_URL): "ok", "not configured", or why it cannot take events."""
        publisher: FastStreamEventPublisher | None = self._services.container.event_publisher()
        if publisher is None:
            return NOT_CONFIGURED
        try:
            return await asyncio.wait_for(publisher.check(), _TIMEOUT_SECONDS)
        except TimeoutError:
            return f"failed: no answer within {_TIMEOUT_SECONDS:g} s"

    async def _database(self) -> tuple[str, str]:
        engine: AsyncEngine = self._services.container.engine()
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
    failed = {"database": checks.database, "migrations": checks.migrations, "broker": checks.broker}
    return "; ".join(f"{name}: {value}" for name, value in failed.items() if value not in (OK, NOT_CONFIGURED))
