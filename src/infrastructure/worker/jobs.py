"""Builds the worker's outbox and callback use cases from the composition root (the runner calls them).

    relay = relay_outbox(container, worker_id)            # await relay() → RelayReport
    deliver = deliver_notifications(container, worker_id)  # None when callbacks are off; await deliver()

Callbacks are off without PAYMENTS_CALLBACK_SECRET: the relay then creates no notifications (it still publishes
to the broker and marks events relayed) and there is nothing to deliver. The broker publisher is optional too:
when the container offers an `event_publisher` provider that yields one, the relay publishes every event to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from application.ports.event_publisher import EventPublisher
from application.worker.deliver_notifications import DeliverNotifications
from application.worker.relay_outbox import RelayOutbox
from application.worker.retry_failed_webhooks import RetryFailedWebhooks
from application.worker.run_janitor import RunJanitor

if TYPE_CHECKING:
    from infrastructure.container import Container


def relay_outbox(container: Container, worker_id: str) -> RelayOutbox:
    settings = container.settings()
    callbacks_on = container.callback_sender() is not None
    return RelayOutbox(
        container.outbox(),
        container.read_model(),
        container.ids(),
        container.clock(),
        worker_id,
        notifications=container.notification_store() if callbacks_on else None,
        publisher=_event_publisher(container),
        default_callback_url=settings.order_callback_url,
        retry_base_seconds=settings.retry_base_seconds,
        lease=timedelta(seconds=settings.worker_lease_seconds),
    )


def deliver_notifications(container: Container, worker_id: str) -> DeliverNotifications | None:
    sender = container.callback_sender()
    if sender is None:
        return None
    settings = container.settings()
    return DeliverNotifications(
        container.notification_store(),
        sender,
        container.ids(),
        container.clock(),
        worker_id,
        retry_base_seconds=settings.retry_base_seconds,
        retry_max_age_seconds=settings.retry_max_age_seconds,
        lease=timedelta(seconds=settings.worker_lease_seconds),
        metrics=container.metrics(),
    )


def _event_publisher(container: Container) -> EventPublisher | None:
    # Looked up by name: the broker publisher is wired by its own change to the container, and without a
    # PAYMENTS_BROKER_URL its provider may yield None.
    provider: Any = getattr(container, "event_publisher", None)
    if provider is None:
        return None
    publisher: EventPublisher | None = provider()
    return publisher


def retry_failed_webhooks(container: Container, worker_id: str) -> Callable[[], Awaitable[int]]:
    """One batch of webhook retries per call (how many rows it claimed), through the bus."""
    bus = container.bus()

    async def retry_once() -> int:
        return (await bus.send(RetryFailedWebhooks(worker_id))).claimed

    return retry_once


def run_janitor(container: Container, worker_id: str) -> Callable[[], Awaitable[int]]:
    """One janitor pass per call (how many payments and refunds it checked), through the bus: the same path as
    POST /reconciliation/runs. Rows are claimed with leases, so several workers may run it at once."""
    bus = container.bus()

    async def run_once() -> int:
        report = await bus.send(RunJanitor())
        return report.checked

    run_once.__name__ = f"run_janitor[{worker_id}]"
    return run_once
