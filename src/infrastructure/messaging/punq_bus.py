"""The application's handler registry on punq, filled from the composition root's port table.

punq builds each handler (HTTP use cases and worker jobs alike) from its constructor annotations. Ports are
shared instances, except those marked `PerUse` (the unit of work: it holds the transaction of the request in
flight, so every handler gets its own). A port whose adapter is None (no broker, callbacks off) is not
registered: the constructor's default applies. Shared application components (the webhook processor) are built
per handler like handlers are, so they never share a unit of work between concurrent requests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import punq

from application.bus import MessageBus
from application.messages import Message
from infrastructure.messaging.handlers import COMPONENTS, HANDLERS
from infrastructure.messaging.planned_resolver import PlannedResolver


@dataclass(frozen=True, slots=True)
class PerUse:
    """A port whose adapter holds per-use state: `make` is called for every handler that asks for it."""

    make: Callable[[], Any]


def build_bus(
    ports: Mapping[type[Any], Any],
    handlers: Mapping[type[Message[Any]], type[Any]] = HANDLERS,
    components: Sequence[type[Any]] = COMPONENTS,
) -> MessageBus:
    container = punq.Container()
    per_use: dict[type[Any], Callable[[], Any]] = {}
    for port, adapter in ports.items():
        if isinstance(adapter, PerUse):
            per_use[port] = adapter.make
        elif adapter is not None:
            container.register(port, instance=adapter)
    built = (*handlers.values(), *components)
    for kind in built:
        container.register(kind)
    # punq supplies each handler's shared dependencies once; the plan then builds a handler per message cheaply
    return MessageBus(PlannedResolver(container, per_use, built), handlers)
