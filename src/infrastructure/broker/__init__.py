"""Publishes outbox events to a message broker through FastStream (RabbitMQ, NATS JetStream, Redis Streams, Kafka)."""

from infrastructure.broker.publisher import (
    BrokerTopology,
    EventPublishError,
    FastStreamEventPublisher,
    build_event_publisher,
)

__all__ = ["BrokerTopology", "EventPublishError", "FastStreamEventPublisher", "build_event_publisher"]
