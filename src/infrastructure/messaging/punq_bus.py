"""Builds the message bus on a punq container: handlers are constructed from their constructor annotations.

Ports are registered as instances (shared, stateless adapters) except the unit of work, which is a factory:
each handler gets its own, because a unit of work holds the transaction of the request in flight.
"""

from collections.abc import Callable, Mapping
from typing import Any

import punq

from application.bus import MessageBus
from application.callback_destinations import CallbackDestinations
from application.messages import Message
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.janitor_store import JanitorStore
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.notifications import NotificationStore
from application.ports.payment_provider import PaymentProviders
from application.ports.read_model import PaymentReadModel
from application.ports.reconciliation import ReconciliationReadModel
from application.ports.unit_of_work import UnitOfWork
from application.ports.webhook_retries import WebhookEventLog
from infrastructure.messaging.handlers import HANDLERS
from infrastructure.messaging.planned_resolver import PlannedResolver


def build_bus(
    *,
    unit_of_work: Callable[[], UnitOfWork],
    providers: PaymentProviders,
    read_model: PaymentReadModel,
    clock: Clock,
    ids: IdGenerator,
    handlers: Mapping[type[Message[Any]], type[Any]] = HANDLERS,
    janitor_store: JanitorStore | None = None,
    reconciliation: ReconciliationReadModel | None = None,
    notifications: NotificationStore | None = None,
    webhook_events: WebhookEventLog | None = None,
    metrics: Metrics = NO_METRICS,
    callback_destinations: CallbackDestinations | None = None,
) -> MessageBus:
    container = punq.Container()
    # punq reads the factory's signature; a plain function works whatever kind of callable we were given
    container.register(UnitOfWork, factory=lambda: unit_of_work())
    container.register(PaymentProviders, instance=providers)
    container.register(PaymentReadModel, instance=read_model)
    container.register(Clock, instance=clock)
    container.register(IdGenerator, instance=ids)
    container.register(Metrics, instance=metrics)
    if janitor_store is not None:  # the janitor and reconciliation ports: optional for buses that need neither
        container.register(JanitorStore, instance=janitor_store)
    if reconciliation is not None:
        container.register(ReconciliationReadModel, instance=reconciliation)
    if notifications is not None:  # the outgoing callbacks' store, for the admin notification queries
        container.register(NotificationStore, instance=notifications)
    if webhook_events is not None:  # the stored webhook events, for the admin's list, get and replay
        container.register(WebhookEventLog, instance=webhook_events)
    if callback_destinations is not None:  # without it, checkout takes any http(s) callback_url (its default)
        container.register(CallbackDestinations, instance=callback_destinations)
    for handler in handlers.values():
        container.register(handler)
    # punq supplies each handler's shared dependencies once; the plan then builds a handler per message cheaply
    resolver = PlannedResolver(container, {UnitOfWork: unit_of_work}, handlers.values())
    return MessageBus(resolver, handlers)
