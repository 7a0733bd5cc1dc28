"""Driver and SQLAlchemy errors, translated into what the application understands.

Only failures of the store itself (cannot connect, connection lost, pool exhausted, SQLite locked beyond its
busy timeout) become StoreUnavailable, which the API answers with 503 and Retry-After. Everything else is a bug
or a constraint, and keeps its own type so it is logged as such.
"""

from __future__ import annotations

import sqlite3
from types import TracebackType

import asyncpg  # type: ignore[import-untyped]  # ships no type information
from sqlalchemy import exc as sa_exc

from application.errors import StoreUnavailable

LIVE_ORDER_INDEX = "uq_payments_live_order"
# SQLite names the columns, not the index, in its message; this is the only unique index on that column.
_SQLITE_LIVE_ORDER_MESSAGE = "UNIQUE constraint failed: payments.order_id"
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk I/O error", "database is full")


def unavailable_reason(error: BaseException) -> str | None:
    """Why the store cannot serve us right now, or None when the error is not about availability."""
    driver_reason = _driver_unavailable_reason(error)
    if driver_reason is not None:
        return driver_reason
    if isinstance(error, sa_exc.TimeoutError):
        return "no free database connection within the pool timeout"
    if isinstance(error, OSError | TimeoutError):  # raised by the driver while connecting
        return f"cannot connect to the database ({type(error).__name__})"
    if isinstance(error, sqlite3.OperationalError):  # raised by the SQLite driver itself (the seam)
        return next((known for known in _SQLITE_UNAVAILABLE if known in str(error)), None)
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return "the database connection was lost"
        if error.statement is None:  # no statement: the failure happened while connecting
            return f"cannot connect to the database ({type(error.orig).__name__})"
        message = str(error.orig)
        for known in _SQLITE_UNAVAILABLE:
            if known in message:
                return known
    return None


def is_live_order_violation(error: BaseException) -> bool:
    """The one-live-payment-per-order index refused an insert (whichever driver raised it)."""
    if isinstance(error, asyncpg.UniqueViolationError):
        return bool(error.constraint_name == LIVE_ORDER_INDEX)
    if isinstance(error, sqlite3.IntegrityError | sa_exc.IntegrityError):
        message = str(error.orig if isinstance(error, sa_exc.IntegrityError) else error)
        return LIVE_ORDER_INDEX in message or _SQLITE_LIVE_ORDER_MESSAGE in message
    return False


def is_lost_connection(error: BaseException) -> bool:
    """True when the asyncpg connection can no longer be used (the pool must replace it, not reuse it)."""
    return _driver_unavailable_reason(error) is not None or isinstance(error, OSError | TimeoutError)


def lost_connection(error: BaseException) -> bool:
    """The connection can no longer be used: the driver's own error, or StoreUnavailable raised because of one."""
    cause = error.__cause__ if isinstance(error, StoreUnavailable) else error
    return cause is not None and is_lost_connection(cause)


def _driver_unavailable_reason(error: BaseException) -> str | None:
    """asyncpg's own errors, raised by statements run on the driver connection (the Postgres fast path)."""
    if isinstance(error, asyncpg.PostgresConnectionError):  # class 08, ConnectionDoesNotExistError among them
        return "the database connection was lost"
    if isinstance(error, asyncpg.exceptions.OperatorInterventionError):  # shutdown, backend terminated
        return "the database connection was lost"
    if isinstance(error, asyncpg.InterfaceError) and "closed" in str(error):
        return "the database connection was lost"
    if isinstance(error, asyncpg.exceptions.InternalClientError):  # e.g. a termination notice arrived mid-call
        return "the database connection is in an unusable state"
    return None


_DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    sqlite3.Error,
)


_TRANSLATED = (sa_exc.SQLAlchemyError, *_DRIVER_ERRORS, OSError, TimeoutError)


class _StoreErrors:
    """A class, not a generator-based context manager: entered around every statement, and @contextmanager's
    generator set-up cost ~3% of a status read's CPU."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if error is None or not isinstance(error, _TRANSLATED):
            return
        reason = unavailable_reason(error)
        if reason is not None:
            raise StoreUnavailable(reason) from error


_STORE_ERRORS = _StoreErrors()


def store_errors() -> _StoreErrors:
    """Raises StoreUnavailable (chained to the original) for availability failures inside the block."""
    return _STORE_ERRORS
