"""Building the event publisher from settings; the wire encoding of an outbox message."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from application.data.outbox import OutboxMessage
from infrastructure.broker import FastStreamEventPublisher, build_event_publisher
from infrastructure.broker.kafka_transport import kafka_bootstrap_servers
from infrastructure.broker.topology import encode_body, message_headers
from infrastructure.settings import Settings, SettingsError


def test_no_broker_url_means_no_publisher() -> None:
    assert build_event_publisher(Settings()) is None


@pytest.mark.parametrize(
    "url",
    [
        "amqp://guest:guest@rabbit:5672/",
        "amqps://rabbit/",
        "nats://nats:4222",
        "redis://redis:6379/0",
        "kafka://k:9092",
    ],
)
def test_every_supported_scheme_builds_without_connecting(url: str) -> None:
    publisher = build_event_publisher(Settings(broker_url=url))
    assert isinstance(publisher, FastStreamEventPublisher)
    assert publisher.scheme == url.split(":", 1)[0]


def test_an_unsupported_scheme_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="PAYMENTS_BROKER_URL"):
        FastStreamEventPublisher("mqtt://broker:1883")


def test_kafka_bootstrap_servers() -> None:
    assert kafka_bootstrap_servers("kafka://a:9093,b") == ["a:9093", "b:9092"]
    assert kafka_bootstrap_servers("kafka://user:pw@a:9092") == ["a:9092"]


def test_the_body_is_the_envelope_as_json_and_the_headers_carry_the_ids() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    message = OutboxMessage("evt_1", "payment.succeeded", "pay_1", {"id": "evt_1", "occurred_at": at}, at, 0)
    assert json.loads(encode_body(message)) == {"id": "evt_1", "occurred_at": "2026-01-02T03:04:05Z"}
    assert message_headers(message) == {"message_id": "evt_1", "event_type": "payment.succeeded", "payment_id": "pay_1"}


def test_a_traced_event_carries_its_traceparent_to_consumers() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    message = OutboxMessage("evt_1", "payment.succeeded", "pay_1", {}, at, 0, trace_context=traceparent)
    assert message_headers(message)["traceparent"] == traceparent
