"""Publishes outbox events to a message broker through FastStream (RabbitMQ, NATS JetStream, Redis Streams, Kafka)."""

from infrastructure.broker.publisher import EventPublishError, FastStreamEventPublisher, build_event_publisher
from infrastructure.broker.topology import BrokerTopology

__all__ = ["BrokerTopology", "EventPublishError", "FastStreamEventPublisher", "build_event_publisher"]
