"""NATS JetStream: stream over `<prefix>.>`, subject `<prefix>.<event type>`, Nats-Msg-Id = event id (server dedupe)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from infrastructure.broker import BrokerTopology, FastStreamEventPublisher
from tests.integration.broker.messages import expected_body, outbox_message


@pytest.fixture
async def publisher(nats_url: str, topology: BrokerTopology) -> AsyncIterator[FastStreamEventPublisher]:
    publisher = FastStreamEventPublisher(nats_url, topology=topology, timeout=5)
    yield publisher
    await publisher.aclose()


async def _fetch_all(js: Any, topology: BrokerTopology, count: int) -> list[Any]:
    """Reads the stream from the start with an ephemeral pull consumer, as a downstream service would."""
    subscription = await js.pull_subscribe(f"{topology.subject_prefix}.>", stream=topology.nats_stream)
    try:
        messages: list[Any] = await subscription.fetch(count, timeout=5)
        for message in messages:
            await message.ack()
        return messages
    finally:
        await subscription.unsubscribe()


async def test_publishes_through_jetstream_with_the_event_id(
    publisher: FastStreamEventPublisher, jetstream: Any, topology: BrokerTopology
) -> None:
    message = outbox_message("payment.succeeded")
    await publisher.publish(message)

    info = await jetstream.stream_info(topology.nats_stream)
    assert info.config.subjects == [f"{topology.subject_prefix}.>"]
    assert info.config.duplicate_window == topology.nats_duplicate_window_seconds
    assert info.state.messages == 1

    [received] = await _fetch_all(jetstream, topology, 1)
    assert received.subject == f"{topology.subject_prefix}.payment.succeeded"
    assert json.loads(received.data) == expected_body(message)
    assert received.headers["Nats-Msg-Id"] == message.id
    assert received.headers["message_id"] == message.id
    assert received.headers["correlation_id"] == message.id
    assert received.headers["event_type"] == "payment.succeeded"
    assert received.headers["payment_id"] == message.payment_id
    assert received.headers["content-type"] == "application/json"


async def test_jetstream_drops_a_redelivered_event_inside_its_duplicate_window(
    publisher: FastStreamEventPublisher, jetstream: Any, topology: BrokerTopology
) -> None:
    first, other = outbox_message(), outbox_message("refund.succeeded")
    await publisher.publish(first)
    await publisher.publish(first)  # the relay's at-least-once redelivery: acknowledged, not stored again
    await publisher.publish(other)

    info = await jetstream.stream_info(topology.nats_stream)
    assert info.state.messages == 2
    received = await _fetch_all(jetstream, topology, 2)
    assert [m.headers["Nats-Msg-Id"] for m in received] == [first.id, other.id]
    assert [m.subject.rsplit(".", 2)[-2:] for m in received] == [["payment", "succeeded"], ["refund", "succeeded"]]


async def test_an_existing_stream_is_reused(nats_url: str, jetstream: Any, topology: BrokerTopology) -> None:
    # an operator created the stream with a different configuration: the publisher uses it as it is
    await jetstream.add_stream(name=topology.nats_stream, subjects=[f"{topology.subject_prefix}.>"], max_msgs=1000)
    publisher = FastStreamEventPublisher(nats_url, topology=topology, timeout=5)
    try:
        await publisher.publish(outbox_message())
        assert await publisher.check() == "ok"
    finally:
        await publisher.aclose()
    info = await jetstream.stream_info(topology.nats_stream)
    assert info.config.max_msgs == 1000
    assert info.state.messages == 1
