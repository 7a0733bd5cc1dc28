"""The composition root: the one place where adapters meet ports. Nothing is built at import time.

Providers stay synchronous (an async Resource would make every dependant async); `close_resources` is awaited
by the app's lifespan and the CLI to release what the container opened.
"""

from __future__ import annotations

import httpx
from dependency_injector import containers, providers
from sqlalchemy.ext.asyncio import AsyncEngine

from application.callback_destinations import CallbackDestinations
from application.observed_unit_of_work import CommitListener, ObservedUnitOfWork, TransitionCounter
from application.ports.metrics import Metrics
from application.ports.read_model import PaymentReadModel
from infrastructure.broker import FastStreamEventPublisher, build_event_publisher
from infrastructure.callbacks.host_resolver import AsyncioHostResolver
from infrastructure.callbacks.http_callback_sender import build_callback_sender
from infrastructure.callbacks.public_address_transport import build_callback_client
from infrastructure.clock import SystemClock
from infrastructure.db.api_key_store import SqlAlchemyApiKeyStore
from infrastructure.db.cached_read_model import StatusCachingReadModel
from infrastructure.db.engine import create_engine
from infrastructure.db.idempotency_store import SqlAlchemyIdempotencyStore
from infrastructure.db.janitor_store import SqlAlchemyJanitorStore
from infrastructure.db.notification_store import SqlAlchemyNotificationStore
from infrastructure.db.outbox_store import SqlAlchemyOutbox
from infrastructure.db.payment_change_feed import PostgresPaymentChangeFeed, asyncpg_connect_kwargs
from infrastructure.db.read_model import SqlAlchemyPaymentReadModel
from infrastructure.db.reconciliation_query import SqlAlchemyReconciliationQuery
from infrastructure.db.status_cache import StatusCache
from infrastructure.db.status_cache_invalidation import StatusCacheInvalidator
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from infrastructure.db.webhook_retry_store import SqlAlchemyWebhookRetryStore
from infrastructure.ids import SortableIdGenerator
from infrastructure.messaging.punq_bus import build_bus
from infrastructure.metrics import build_metrics
from infrastructure.providers.registry import build_provider_registry
from infrastructure.providers.simulator import SimulatorPaymentProvider
from infrastructure.rate_limit import RateLimiter, build_rate_limiter
from infrastructure.settings import Settings


def _http_client() -> httpx.AsyncClient:
    """One pooled client for every outgoing call; adapters set their own per-call timeouts."""
    return httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)


def _status_cache(settings: Settings) -> StatusCache | None:
    """Postgres only: the cache is kept honest by the database's change notifications, which SQLite lacks."""
    if settings.is_sqlite or settings.status_cache_entries == 0:
        return None
    return StatusCache(settings.status_cache_entries, settings.status_cache_ttl_seconds)


def _read_model(engine: AsyncEngine, cache: StatusCache | None) -> PaymentReadModel:
    store = SqlAlchemyPaymentReadModel(engine)
    return store if cache is None else StatusCachingReadModel(store, cache)


def _commit_listeners(metrics: Metrics, cache: StatusCache | None) -> tuple[CommitListener, ...]:
    counter = TransitionCounter(metrics)
    return (counter,) if cache is None else (counter, StatusCacheInvalidator(cache))


def _change_feed(engine: AsyncEngine, cache: StatusCache | None) -> PostgresPaymentChangeFeed | None:
    return None if cache is None else PostgresPaymentChangeFeed(asyncpg_connect_kwargs(engine), cache)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(SortableIdGenerator)
    engine = providers.Singleton(
        create_engine, settings.provided.database_url, pool_size=settings.provided.db_pool_size
    )
    http_client = providers.Singleton(_http_client)
    # None on SQLite or with PAYMENTS_STATUS_CACHE_ENTRIES=0
    status_cache = providers.Singleton(_status_cache, settings=settings)
    # one per process; multiprocess mode (summed across processes at scrape) when PROMETHEUS_MULTIPROC_DIR is set
    metrics = providers.Singleton(build_metrics)

    simulator = providers.Singleton(
        SimulatorPaymentProvider,
        public_url=settings.provided.public_url,
        webhook_secret=settings.provided.simulator_webhook_secret,
        refund_delay_seconds=settings.provided.simulator_refund_delay_seconds,
        http=http_client,
        clock=clock,
    )
    payment_providers = providers.Singleton(
        build_provider_registry, settings=settings, simulator=simulator, http=http_client, clock=clock, observer=metrics
    )

    # the store's transaction, wrapped to report what it committed: status changes to the metrics, and the
    # orders written to this process's status cache (read-your-writes)
    commit_listeners = providers.Singleton(_commit_listeners, metrics=metrics, cache=status_cache)
    unit_of_work = providers.Factory(
        ObservedUnitOfWork,
        inner=providers.Factory(SqlAlchemyUnitOfWork, engine=engine, ids=ids),
        listeners=commit_listeners,
    )
    # Payment statuses are answered from memory while the change feed listens (started by the HTTP app's
    # lifespan only); elsewhere, or while the feed is down, the cache stays empty and reads go to the store.
    read_model = providers.Singleton(_read_model, engine=engine, cache=status_cache)
    payment_change_feed = providers.Singleton(_change_feed, engine=engine, cache=status_cache)
    janitor_store = providers.Singleton(SqlAlchemyJanitorStore, engine=engine)
    reconciliation = providers.Singleton(SqlAlchemyReconciliationQuery, engine=engine)
    outbox = providers.Singleton(SqlAlchemyOutbox, engine=engine)
    notification_store = providers.Singleton(SqlAlchemyNotificationStore, engine=engine)
    # Where callbacks may go (PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS): checked at checkout through the
    # resolver, and again at connect time by the callback client (the shared one when private networks are allowed)
    host_resolver = providers.Singleton(AsyncioHostResolver)
    callback_destinations = providers.Singleton(
        CallbackDestinations,
        resolver=host_resolver,
        allow_private_networks=settings.provided.callback_allow_private_networks,
    )
    callback_http_client = providers.Singleton(
        build_callback_client,
        shared=http_client,
        resolver=host_resolver,
        allow_private_networks=settings.provided.callback_allow_private_networks,
    )
    # None without PAYMENTS_CALLBACK_SECRET: no notifications are created or sent (see build_callback_sender)
    callback_sender = providers.Singleton(
        build_callback_sender, secret=settings.provided.callback_secret, http=callback_http_client, clock=clock
    )
    # None without PAYMENTS_BROKER_URL: events stay in the outbox; connects lazily on the first publish
    event_publisher = providers.Singleton(build_event_publisher, settings=settings)
    # the webhook inbox for the worker's retries (claims) and the admin's list, get and replay
    webhook_retries = providers.Singleton(SqlAlchemyWebhookRetryStore, engine=engine)
    idempotency = providers.Singleton(SqlAlchemyIdempotencyStore, engine=engine)
    api_keys = providers.Singleton(SqlAlchemyApiKeyStore, engine=engine, ids=ids, configured=settings.provided.api_keys)
    # in this process's memory, or shared through Redis when PAYMENTS_REDIS_URL is set (connects lazily)
    rate_limiter = providers.Singleton(build_rate_limiter, redis_url=settings.provided.redis_url)

    bus = providers.Singleton(
        build_bus,
        unit_of_work=unit_of_work.provider,
        providers=payment_providers,
        read_model=read_model,
        clock=clock,
        ids=ids,
        janitor_store=janitor_store,
        reconciliation=reconciliation,
        notifications=notification_store,
        webhook_events=webhook_retries,
        metrics=metrics,
        callback_destinations=callback_destinations,
    )


def build_container(settings: Settings) -> Container:
    return Container(settings=settings)


async def close_resources(container: Container) -> None:
    """Closes what the container opened: background tasks, the HTTP client, the database pool."""
    feed: PostgresPaymentChangeFeed | None = container.payment_change_feed()
    if feed is not None:
        await feed.stop()
    # Singletons are cheap and lazy (no connection is made until used), so asking for one to close it is fine.
    simulator: SimulatorPaymentProvider = container.simulator()
    await simulator.aclose()
    for client_provider in (container.callback_http_client, container.http_client):  # may be the same client
        client: httpx.AsyncClient = client_provider()
        await client.aclose()
    publisher: FastStreamEventPublisher | None = container.event_publisher()
    if publisher is not None:
        await publisher.aclose()
    rate_limiter: RateLimiter = container.rate_limiter()
    await rate_limiter.aclose()
    engine: AsyncEngine = container.engine()
    await engine.dispose()
