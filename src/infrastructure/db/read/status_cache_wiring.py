"""Builds the payment-status cache's pieces the settings ask for (used by the composition root only).

Postgres with `PAYMENTS_STATUS_CACHE_ENTRIES` > 0: the cache, the read model answering from it, and the change
feed that keeps it honest. Postgres whatever the cache: the announcer, since other processes may cache even
where this one does not. SQLite: none of them (no notifications, one process). And what the unit of work
reports its commits to: the status-transition metrics, and these pieces.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from application.observed_unit_of_work import CommitListener, TransitionCounter
from application.ports.metrics import Metrics
from application.ports.read_model import PaymentReadModel
from infrastructure.db.read.cached_read_model import StatusCachingReadModel
from infrastructure.db.read.payment_change_announcer import PaymentChangeAnnouncer
from infrastructure.db.read.payment_change_feed import PostgresPaymentChangeFeed, asyncpg_connect_kwargs
from infrastructure.db.read.read_model import SqlPaymentReadModel
from infrastructure.db.read.status_cache import StatusCache
from infrastructure.db.read.status_cache_invalidation import StatusCacheInvalidator
from infrastructure.db.sql.database import Database
from infrastructure.settings import Settings


def build_status_cache(settings: Settings) -> StatusCache | None:
    """Postgres only: the cache is kept honest by the database's change notifications, which SQLite lacks."""
    if settings.is_sqlite or settings.status_cache_entries == 0:
        return None
    return StatusCache(settings.status_cache_entries, settings.status_cache_ttl_seconds)


def build_read_model(database: Database, cache: StatusCache | None) -> PaymentReadModel:
    store = SqlPaymentReadModel(database)
    return store if cache is None else StatusCachingReadModel(store, cache)


def build_change_feed(engine: AsyncEngine, cache: StatusCache | None) -> PostgresPaymentChangeFeed | None:
    return None if cache is None else PostgresPaymentChangeFeed(asyncpg_connect_kwargs(engine), cache)


def build_change_announcer(settings: Settings, database: Database) -> PaymentChangeAnnouncer | None:
    """Postgres: every process announces its commits, whether or not it caches (other API processes do)."""
    return None if settings.is_sqlite else PaymentChangeAnnouncer(database)


def build_commit_listeners(
    metrics: Metrics, cache: StatusCache | None, announcer: PaymentChangeAnnouncer | None
) -> tuple[CommitListener, ...]:
    listeners: list[CommitListener] = [TransitionCounter(metrics)]
    if cache is not None:  # read-your-writes here, at once
        listeners.append(StatusCacheInvalidator(cache))
    if announcer is not None:  # and in every other process, a moment later
        listeners.append(announcer)
    return tuple(listeners)
