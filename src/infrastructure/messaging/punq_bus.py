"""Builds the message bus on a punq container: handlers are constructed from their constructor annotations.

Ports are registered as instances (shared, stateless adapters) except the unit of work, which is a factory:
each handler gets its own, because a unit of work holds the transaction of the request in flight.
"""

from collections.abc import Callable, Mapping
from typing import Any

import punq

from application.bus import MessageBus
from application.messages import Message
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.payment_provider import PaymentProviders
from application.ports.read_model import PaymentReadModel
from application.ports.unit_of_work import UnitOfWork
from infrastructure.messaging.handlers import HANDLERS


def build_bus(
    *,
    unit_of_work: Callable[[], UnitOfWork],
    providers: PaymentProviders,
    read_model: PaymentReadModel,
    clock: Clock,
    ids: IdGenerator,
    handlers: Mapping[type[Message[Any]], type[Any]] = HANDLERS,
) -> MessageBus:
    container = punq.Container()
    # punq reads the factory's signature; a plain function works whatever kind of callable we were given
    container.register(UnitOfWork, factory=lambda: unit_of_work())
    container.register(PaymentProviders, instance=providers)
    container.register(PaymentReadModel, instance=read_model)
    container.register(Clock, instance=clock)
    container.register(IdGenerator, instance=ids)
    for handler in handlers.values():
        container.register(handler)
    return MessageBus(container.resolve, handlers)
