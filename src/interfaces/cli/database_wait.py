"""`serve` and `worker` wait for the database before anything else uses it: one log line per failed attempt
saying what is awaited and why, for at most PAYMENTS_DB_CONNECT_TIMEOUT_S; then one line and exit 1, no
traceback. SQLite is a file, not a server: nothing to wait for."""

from __future__ import annotations

import asyncio
import logging
import socket

from sqlalchemy.engine import make_url

from infrastructure.db.availability import Attempt, DatabaseUnreachable, wait_for_database
from infrastructure.settings import Settings
from interfaces.cli import CommandFailed
from interfaces.http.while_starting import answering_while_starting

log = logging.getLogger("payments.start")


def wait_for_the_database(settings: Settings, listener: socket.socket | None = None) -> None:
    """Returns once the database answers; raises CommandFailed. With `listener` (serve), /health and /ready
    are answered on it meanwhile."""
    if settings.is_sqlite:
        return
    try:
        asyncio.run(_wait(settings, listener))
    except KeyboardInterrupt:  # Ctrl-C while waiting: one line, like every other end of the wait
        raise CommandFailed(f"stopped while waiting for the database at {database_location(settings)}") from None


async def _wait(settings: Settings, listener: socket.socket | None) -> None:
    where = database_location(settings)
    state = {"now": f"waiting for the database at {where}"}

    def report(attempt: Attempt) -> None:
        state["now"] = f"waiting for the database at {where} (attempt {attempt.number}: {attempt.reason})"
        log.warning(
            "waiting for the database at %s: attempt %d failed (%s); next in %.1f s, giving up in %.0f s",
            where,
            attempt.number,
            attempt.reason,
            attempt.retry_in,
            attempt.gives_up_in,
        )

    try:
        if listener is None:
            attempts = await wait_for_database(settings.database_url, settings.db_connect_timeout_s, report)
        else:
            async with answering_while_starting(listener, settings.public_url, lambda: state["now"]):
                attempts = await wait_for_database(settings.database_url, settings.db_connect_timeout_s, report)
    except DatabaseUnreachable as failure:
        if failure.permanent:
            raise CommandFailed(f"cannot use the database at {where}: {failure.reason}") from None
        raise CommandFailed(
            f"the database at {where} did not answer within {settings.db_connect_timeout_s} s "
            f"(PAYMENTS_DB_CONNECT_TIMEOUT_S; {failure.attempts} attempts, the last: {failure.reason}); giving up"
        ) from None
    if attempts > 1:
        log.warning("the database at %s answers (attempt %d); starting", where, attempts)


def database_location(settings: Settings) -> str:
    """`host:port/database`: no password, and nothing the log's e-mail masking would take for an address."""
    url = make_url(settings.database_url)
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
