"""The worker, assembled from the composition root: which jobs run, how often, and what is given back on stop.

Every job is a message on the bus (its handler built by the registry like any use case); a loop sends it again
at once while it finds work and waits its interval when idle. `payments worker` runs this as its own process;
in development `payments serve` runs it inside the API process. Several may run against one database at once:
the jobs claim rows with leases.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from application.bus import MessageBus
from application.worker.deliver_notifications import DeliverNotifications
from application.worker.purge_webhook_bodies import PurgeWebhookBodies
from application.worker.relay_outbox import RelayOutbox
from application.worker.release_leases import ReleaseLeases
from application.worker.retry_failed_webhooks import RetryFailedWebhooks
from application.worker.run_janitor import RunJanitor
from infrastructure.worker.runner import Loop, WorkerRunner

if TYPE_CHECKING:
    from infrastructure.container import Container

RELAY_INTERVAL = 0.5  # seconds between looks at an empty outbox: callbacks should leave within a second
DELIVERY_INTERVAL = 1.0
WEBHOOK_RETRY_INTERVAL = 5.0
JANITOR_INTERVAL = 30.0
BODY_PURGE_INTERVAL = 300.0  # retention is counted in days: a look every five minutes is plenty


def worker_id() -> str:
    """Names this worker in leases and delivery attempts: host and process, unique among live workers."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def build_worker(container: Container, name: str | None = None) -> WorkerRunner:
    me = name or worker_id()
    bus: MessageBus = container.bus()
    loops = [
        Loop("outbox-relay", _sending(bus, RelayOutbox(me), lambda report: report.claimed), RELAY_INTERVAL),
        Loop("webhook-retries", _sending(bus, RetryFailedWebhooks(me), lambda r: r.claimed), WEBHOOK_RETRY_INTERVAL),
        Loop("janitor", _sending(bus, RunJanitor(), lambda report: report.checked), JANITOR_INTERVAL),
        Loop("webhook-body-purge", _sending(bus, PurgeWebhookBodies(), lambda purged: purged), BODY_PURGE_INTERVAL),
    ]
    if container.callback_routing().enabled:  # callbacks are on (PAYMENTS_CALLBACK_SECRET is set)
        deliver = _sending(bus, DeliverNotifications(me), lambda report: report.claimed)
        loops.append(Loop("notification-delivery", deliver, DELIVERY_INTERVAL))

    async def release_leases() -> None:
        await bus.send(ReleaseLeases(me))

    return WorkerRunner(loops, on_stop=release_leases)


def _sending(bus: MessageBus, message: Any, handled: Callable[[Any], int]) -> Callable[[], Awaitable[int]]:
    """One batch per call: the message sent, and how many items its report says were handled (0: idle)."""

    async def once() -> int:
        return handled(await bus.send(message))

    once.__name__ = f"send[{type(message).__name__}]"
    return once
