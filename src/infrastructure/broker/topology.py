"""Where events go on each broker, and what every message carries (the event id as its message id)."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from application.data.outbox import OutboxMessage

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class BrokerTopology:
    """Where events go. The defaults are the contract; tests use unique names per run."""

    exchange: str = "payments.events"  # RabbitMQ topic exchange
    nats_stream: str = "PAYMENTS"  # JetStream stream
    subject_prefix: str = "payments.events"  # NATS subjects: <prefix>.<event type>; the stream holds <prefix>.>
    redis_stream: str = "payments.events"
    kafka_topic: str = "payments.events"
    nats_duplicate_window_seconds: float = 120.0  # JetStream drops a repeated Nats-Msg-Id within this window


def encode_body(message: OutboxMessage) -> bytes:
    """The outbox envelope as JSON (msgspec: datetimes as RFC 3339, Decimals as strings)."""
    return msgspec.json.encode(dict(message.payload))


def message_headers(message: OutboxMessage) -> dict[str, str]:
    headers = {"message_id": message.id, "event_type": message.event_type, "payment_id": message.payment_id}
    if message.trace_context is not None:  # tracing on: a consumer can continue the trace that wrote the event
        headers["traceparent"] = message.trace_context
    return headers
