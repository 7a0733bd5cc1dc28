"""The worker, assembled from the composition root: which loops run, how often, and what is released on stop.

`payments worker` runs it as its own process; in development `payments serve` runs it inside the API process.
Either way several may run against one database at once (the jobs claim rows with leases).
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

from infrastructure.worker import jobs
from infrastructure.worker.runner import Loop, WorkerRunner

if TYPE_CHECKING:
    from infrastructure.container import Container

RELAY_INTERVAL = 0.5  # seconds between looks at an empty outbox: callbacks should leave within a second
DELIVERY_INTERVAL = 1.0
WEBHOOK_RETRY_INTERVAL = 5.0
JANITOR_INTERVAL = 30.0


def worker_id() -> str:
    """Names this worker in leases and delivery attempts: host and process, unique among live workers."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def build_worker(container: Container, name: str | None = None) -> WorkerRunner:
    me = name or worker_id()
    relay = jobs.relay_outbox(container, me)
    deliver = jobs.deliver_notifications(container, me)
    retry = jobs.retry_failed_webhooks(container, me)
    janitor = jobs.run_janitor(container, me)

    async def relay_once() -> int:
        return (await relay()).claimed

    loops = [
        Loop("outbox-relay", relay_once, RELAY_INTERVAL),
        Loop("webhook-retries", retry, WEBHOOK_RETRY_INTERVAL),
        Loop("janitor", janitor, JANITOR_INTERVAL),
    ]
    if deliver is not None:  # callbacks are on (PAYMENTS_CALLBACK_SECRET is set)
        delivery = deliver

        async def deliver_once() -> int:
            return (await delivery()).claimed

        loops.append(Loop("notification-delivery", deliver_once, DELIVERY_INTERVAL))

    async def release_leases() -> None:
        """Gives back what this worker still holds, so another takes it at once rather than after the lease."""
        await container.outbox().release(me)
        await container.notification_store().release(me)
        await container.webhook_events().release(me)

    return WorkerRunner(loops, on_stop=release_leases)
