"""The composition root: the one place where adapters meet ports. Nothing is built at import time.

Providers stay synchronous (an async Resource would make every dependant async); `close_resources` is awaited
by the app's lifespan and the CLI to release what the container opened.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from dependency_injector import containers, providers
from sqlalchemy.ext.asyncio import AsyncEngine

from application.callback_destinations import CallbackDestinations
from application.observed_unit_of_work import ObservedUnitOfWork
from application.ports.callback_sender import CallbackSender
from application.ports.clock import Clock
from application.ports.event_publisher import EventPublisher
from application.ports.ids import IdGenerator
from application.ports.janitor_store import JanitorStore
from application.ports.metrics import Metrics
from application.ports.notifications import NotificationStore
from application.ports.outbox import Outbox
from application.ports.payment_activity import PaymentActivity
from application.ports.payment_messages import PaymentMessagesReadModel
from application.ports.payment_provider import PaymentProviders
from application.ports.read_model import PaymentReadModel
from application.ports.reconciliation import ReconciliationReadModel
from application.ports.risk import RiskAssessor
from application.ports.tracing import Tracing
from application.ports.unit_of_work import UnitOfWork
from application.ports.webhook_events import WebhookBodyPurge, WebhookEventLog, WebhookRetryQueue
from application.routing.failover import CheckoutTiming
from application.worker.backoff import RetryPolicy
from application.worker.purge_webhook_bodies import BodyRetention
from application.worker.worker_config import CallbackRouting, PaidAfterCancel, WorkerLeases
from infrastructure.broker import FastStreamEventPublisher, build_event_publisher
from infrastructure.callbacks.host_resolver import AsyncioHostResolver
from infrastructure.callbacks.http_callback_sender import build_callback_sender
from infrastructure.callbacks.public_address_transport import build_callback_client
from infrastructure.clock import SystemClock
from infrastructure.db.edge.admin_session_store import SqlAdminSessionStore
from infrastructure.db.edge.api_key_store import SqlApiKeyStore
from infrastructure.db.edge.idempotency_store import SqlIdempotencyStore
from infrastructure.db.engine import create_engine
from infrastructure.db.read.operations_readings import SqlOperationsReadings
from infrastructure.db.read.payment_activity_query import SqlPaymentActivity
from infrastructure.db.read.payment_change_announcer import PaymentChangeAnnouncer
from infrastructure.db.read.payment_change_feed import PostgresPaymentChangeFeed
from infrastructure.db.read.payment_messages_query import SqlPaymentMessages
from infrastructure.db.read.reconciliation_query import SqlReconciliationQuery
from infrastructure.db.read.status_cache_wiring import (
    build_change_announcer,
    build_change_feed,
    build_commit_listeners,
    build_read_model,
    build_status_cache,
)
from infrastructure.db.sql.database import Database
from infrastructure.db.worker.janitor_store import SqlJanitorStore
from infrastructure.db.worker.notification_store import SqlNotificationStore
from infrastructure.db.worker.outbox_store import SqlOutbox
from infrastructure.db.worker.webhook_body_purge import SqlWebhookBodyPurge
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.db.write.webhook_events import SqlWebhookEvents
from infrastructure.ids import SortableIdGenerator
from infrastructure.messaging.punq_bus import PerUse, build_bus
from infrastructure.metrics import build_metrics
from infrastructure.providers.circuit_breaker import CircuitBreaker
from infrastructure.providers.plugin import ProviderContext
from infrastructure.providers.registry import build_provider_registry
from infrastructure.providers.simulator.adapter import SimulatorPaymentProvider
from infrastructure.providers.simulator.wiring import shared_simulator
from infrastructure.rate_limit import RateLimiter, build_rate_limiter
from infrastructure.risk.wiring import build_risk_assessor
from infrastructure.settings import Settings
from infrastructure.tracing import ProcessTracing, build_tracing


def _http_client(tracing: ProcessTracing) -> httpx.AsyncClient:
    """One pooled client for every outgoing call; adapters set their own per-call timeouts."""
    return tracing.instrument_client(
        httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)
    )


def _engine(settings: Settings, tracing: ProcessTracing) -> AsyncEngine:
    # Postgres: this process announces its own payment changes (`change_announcer`), so its sessions tell the
    # change-notification triggers to leave them alone (migration 0013)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size, announces_changes=True)
    return tracing.instrument_engine(engine)


class Container(containers.DeclarativeContainer):
    __self__ = providers.Self()
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(SortableIdGenerator)
    # TRACING_OFF without PAYMENTS_OTEL_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT: then nothing is instrumented
    tracing = providers.Singleton(build_tracing, settings.provided.otel_endpoint)
    engine = providers.Singleton(_engine, settings, tracing)
    # every statement runs through it (infrastructure/db/sql): connections from the engine's pool, compiled once
    database = providers.Singleton(Database, engine)
    http_client = providers.Singleton(_http_client, tracing)
    # None on SQLite or with PAYMENTS_STATUS_CACHE_ENTRIES=0
    status_cache = providers.Singleton(build_status_cache, settings=settings)
    # one per process; multiprocess mode (summed across processes at scrape) when PROMETHEUS_MULTIPROC_DIR is set
    metrics = providers.Singleton(build_metrics)

    provider_context = providers.Singleton(
        ProviderContext,
        public_url=settings.provided.public_url,
        http=http_client,
        clock=clock,
        timeout_seconds=settings.provided.provider_timeout_seconds,
    )
    # one simulator, shared by the registry and the simulator's pages (its refund settlements are its tasks)
    simulator = providers.Singleton(shared_simulator, settings.provided.provider_configs, provider_context)
    payment_providers = providers.Singleton(
        build_provider_registry,
        settings=settings,
        context=provider_context,
        observer=metrics,
        built=providers.Dict(simulator=simulator),
    )

    # None on SQLite; on Postgres the orders this process's commits changed, sent to every listening process
    change_announcer = providers.Singleton(build_change_announcer, settings=settings, database=database)
    # the store's transaction, wrapped to report what it committed: status changes to the metrics, the orders
    # written to this process's status cache (read-your-writes) and to the other processes' (the announcer)
    commit_listeners = providers.Singleton(
        build_commit_listeners, metrics=metrics, cache=status_cache, announcer=change_announcer
    )
    store_unit_of_work = providers.Factory(SqlUnitOfWork, database=database, ids=ids, tracing=tracing)
    unit_of_work = providers.Factory(ObservedUnitOfWork, inner=store_unit_of_work, listeners=commit_listeners)
    # Payment statuses are answered from memory while the change feed listens (started by the HTTP app's
    # lifespan only); elsewhere, or while the feed is down, the cache stays empty and reads go to the store.
    read_model = providers.Singleton(build_read_model, database=database, cache=status_cache)
    payment_change_feed = providers.Singleton(build_change_feed, engine=engine, cache=status_cache)
    janitor_store = providers.Singleton(SqlJanitorStore, database)
    reconciliation = providers.Singleton(SqlReconciliationQuery, database)
    payment_activity = providers.Singleton(SqlPaymentActivity, database)
    payment_messages = providers.Singleton(SqlPaymentMessages, database)
    outbox = providers.Singleton(SqlOutbox, database)
    operations_readings = providers.Singleton(SqlOperationsReadings, database)  # what /metrics's alert gauges read
    notification_store = providers.Singleton(SqlNotificationStore, database)
    # Where callbacks may go (PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS): checked at checkout through the
    # resolver, and again at connect time by the callback client (its own, never the providers')
    host_resolver = providers.Singleton(AsyncioHostResolver)
    callback_destinations = providers.Singleton(
        CallbackDestinations,
        resolver=host_resolver,
        allow_private_networks=settings.provided.callback_allow_private_networks,
    )
    callback_http_client = providers.Singleton(
        lambda tracing, client: tracing.instrument_client(client),
        tracing,
        providers.Singleton(
            build_callback_client,
            resolver=host_resolver,
            allow_private_networks=settings.provided.callback_allow_private_networks,
        ),
    )
    # None without PAYMENTS_CALLBACK_SECRET: no notifications are created or sent (see build_callback_sender)
    callback_sender = providers.Singleton(
        build_callback_sender,
        secret=settings.provided.callback_secret,
        previous_secrets=settings.provided.callback_previous_secrets,
        http=callback_http_client,
        clock=clock,
    )
    # None without PAYMENTS_BROKER_URL: events stay in the outbox; connects lazily on the first publish
    event_publisher = providers.Singleton(build_event_publisher, settings=settings)
    # the webhook inbox outside a request: the worker's retries (claims) and the admin's list, get and replay
    webhook_events = providers.Singleton(SqlWebhookEvents, database)
    worker_leases = providers.Singleton(
        lambda seconds: WorkerLeases(timedelta(seconds=seconds)), settings.provided.worker_lease_seconds
    )
    callback_routing = providers.Singleton(
        lambda secret, url: CallbackRouting(enabled=secret is not None, default_url=url),
        settings.provided.callback_secret,
        settings.provided.order_callback_url,
    )
    paid_after_cancel = providers.Singleton(PaidAfterCancel, refund=settings.provided.refund_paid_after_cancel)
    webhook_body_purge = providers.Singleton(SqlWebhookBodyPurge, database)
    body_retention = providers.Singleton(
        lambda days: BodyRetention(timedelta(days=days)), settings.provided.webhook_body_retention_days
    )
    checkout_timing = providers.Singleton(
        lambda seconds: CheckoutTiming(timedelta(seconds=seconds)), settings.provided.provider_timeout_seconds
    )
    retry_policy = providers.Singleton(
        RetryPolicy,
        base_seconds=settings.provided.retry_base_seconds,
        max_age_seconds=settings.provided.retry_max_age_seconds,
    )
    idempotency = providers.Singleton(SqlIdempotencyStore, database)
    api_keys = providers.Singleton(SqlApiKeyStore, database, ids=ids, configured=settings.provided.api_keys)
    admin_sessions = providers.Singleton(SqlAdminSessionStore, database)  # the console's (interfaces/admin)
    # risk checks at checkout: the rules file and/or the external scorer (behind its own circuit breaker), or none
    risk_assessor = providers.Singleton(
        build_risk_assessor,
        settings.provided.risk_rules,
        settings.provided.risk_url,
        http=http_client,
        timeout_ms=settings.provided.risk_timeout_ms,
        fail_open=settings.provided.risk_fail_open,
        breaker=providers.Singleton(
            CircuitBreaker, settings.provided.circuit_failure_threshold, settings.provided.circuit_reset_seconds
        ),
        observer=metrics,
    )
    # in this process's memory, or shared through Redis when PAYMENTS_REDIS_URL is set (connects lazily)
    rate_limiter = providers.Singleton(build_rate_limiter, redis_url=settings.provided.redis_url)

    bus = providers.Singleton(lambda root: build_bus(port_table(root)), __self__)


def port_table(root: Container) -> dict[type[Any], Any]:
    """Every port the application asks for and the adapter that fills it: the one place they meet. Adding a port
    is one line here (and its provider above)."""
    return {
        UnitOfWork: PerUse(root.unit_of_work),  # a new one per handler: it holds the transaction in flight
        PaymentProviders: root.payment_providers(),
        PaymentReadModel: root.read_model(),
        Clock: root.clock(),
        IdGenerator: root.ids(),
        Metrics: root.metrics(),
        JanitorStore: root.janitor_store(),
        ReconciliationReadModel: root.reconciliation(),
        PaymentActivity: root.payment_activity(),
        PaymentMessagesReadModel: root.payment_messages(),
        NotificationStore: root.notification_store(),
        WebhookEventLog: root.webhook_events(),
        WebhookRetryQueue: root.webhook_events(),
        RetryPolicy: root.retry_policy(),
        WorkerLeases: root.worker_leases(),
        CallbackRouting: root.callback_routing(),
        PaidAfterCancel: root.paid_after_cancel(),
        CheckoutTiming: root.checkout_timing(),
        WebhookBodyPurge: root.webhook_body_purge(),
        BodyRetention: root.body_retention(),
        Outbox: root.outbox(),
        CallbackSender: root.callback_sender(),  # None without PAYMENTS_CALLBACK_SECRET: deliveries never run
        EventPublisher: root.event_publisher(),  # None without PAYMENTS_BROKER_URL
        CallbackDestinations: root.callback_destinations(),
        Tracing: root.tracing(),  # NO_TRACING's twin unless tracing is on
        RiskAssessor: root.risk_assessor(),
    }


def build_container(settings: Settings) -> Container:
    return Container(settings=settings)


def open_resources(container: Container) -> None:
    """What a long-running process (`serve`'s app, `worker`) turns on at start, and close_resources turns off:
    the database keeps up to PAYMENTS_DB_POOL_SIZE idle connections of its own between uses (half the pool;
    the rest stays the pool's, for readiness and migrations)."""
    settings: Settings = container.settings()
    database: Database = container.database()
    database.keep_idle(settings.db_pool_size)


async def close_resources(container: Container) -> None:
    """Closes what the container opened: background tasks, the HTTP client, the database pool."""
    feed: PostgresPaymentChangeFeed | None = container.payment_change_feed()
    if feed is not None:
        await feed.stop()
    # Singletons are cheap and lazy (no connection is made until used), so asking for one to close it is fine.
    simulator: SimulatorPaymentProvider = container.simulator()
    await simulator.aclose()
    for client_provider in (container.callback_http_client, container.http_client):
        client: httpx.AsyncClient = client_provider()
        await client.aclose()
    publisher: FastStreamEventPublisher | None = container.event_publisher()
    if publisher is not None:
        await publisher.aclose()
    rate_limiter: RateLimiter = container.rate_limiter()
    await rate_limiter.aclose()
    announcer: PaymentChangeAnnouncer | None = container.change_announcer()
    if announcer is not None:  # what was committed is announced before the pool closes
        await announcer.close()
    database: Database = container.database()
    await database.close()  # its idle connections back to the pool, which dispose then closes
    engine: AsyncEngine = container.engine()
    await engine.dispose()
    tracing: ProcessTracing = container.tracing()
    tracing.shutdown()  # last: the spans of the closing above are sent too
