"""The pool's side of a borrowed connection (database.py): taking one, opening one, and whether the pool is full."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, MissingGreenlet
from sqlalchemy.pool import Pool, PoolProxiedConnection, QueuePool

from infrastructure.db.sql.drivers import Connection


@dataclass(frozen=True, slots=True)
class Borrowed:
    pooled: PoolProxiedConnection  # the pool's handle on the connection, to give it back
    connection: Connection


def is_full(pool: Pool) -> bool:
    """Every connection the pool may open is open and lent (a kept one lent to the database counts as lent)."""
    return not isinstance(pool, QueuePool) or pool.checkedout() >= pool.size()


def kept_connection(pool: QueuePool) -> PoolProxiedConnection | None:
    """The next kept connection, handed out without I/O; None when it was invalidated (a lost connection, or
    the whole pool after a disconnect): reopening it is I/O, for the greenlet path. The pool then closes the
    connect coroutine it could not await, which Python reports as "never awaited": expected here, so hidden."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        try:
            return pool.connect()
        except MissingGreenlet:
            return None


def connect(pool: Pool, dialect: Dialect) -> PoolProxiedConnection:
    """The pool's connect (in a greenlet), its driver's errors wrapped as SQLAlchemy's own connect wraps them (so a
    refused or misnamed database reads as "cannot connect", as it did through `engine.connect()`)."""
    try:
        return pool.connect()
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(None, None, error, dialect.loaded_dbapi.Error, dialect=dialect) from error
