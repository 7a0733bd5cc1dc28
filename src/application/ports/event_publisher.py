"""Publishes domain events to a message broker (RabbitMQ, NATS JetStream, Kafka, Redis Streams)."""

from __future__ import annotations

from typing import Protocol

from application.data.outbox import OutboxMessage


class EventPublisher(Protocol):
    async def publish(self, message: OutboxMessage) -> None:
        """Publishes with the event id as the broker's message id, so consumers dedupe redeliveries.
        Raises on failure; the relay retries later. Returns only once the broker has accepted it."""
        ...

    async def aclose(self) -> None: ...
