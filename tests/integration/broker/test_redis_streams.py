"""Redis Streams: XADD with plain fields (message_id, event_type, payment_id, content_type, data)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from faststream.redis import RedisBroker, StreamSub

from infrastructure.broker import BrokerTopology, FastStreamEventPublisher
from tests.integration.broker.messages import expected_body, outbox_message


@pytest.fixture
async def publisher(redis_url: str, topology: BrokerTopology) -> AsyncIterator[FastStreamEventPublisher]:
    publisher = FastStreamEventPublisher(redis_url, topology=topology, timeout=5)
    yield publisher
    await publisher.aclose()


async def test_appends_the_envelope_with_the_event_id_in_the_fields(
    publisher: FastStreamEventPublisher, redis_client: aioredis.Redis, topology: BrokerTopology
) -> None:
    message = outbox_message("payment.refunded")
    await publisher.publish(message)

    [(_, fields)] = await redis_client.xrange(topology.redis_stream)
    assert fields[b"message_id"] == message.id.encode()
    assert fields[b"event_type"] == b"payment.refunded"
    assert fields[b"payment_id"] == message.payment_id.encode()
    assert fields[b"content_type"] == b"application/json"
    assert json.loads(fields[b"data"]) == expected_body(message)


async def test_a_redelivered_event_keeps_its_id_so_the_consumer_dedupes_it(
    publisher: FastStreamEventPublisher, redis_client: aioredis.Redis, topology: BrokerTopology
) -> None:
    first, other = outbox_message(), outbox_message("payment.failed")
    await publisher.publish(first)
    await publisher.publish(first)
    await publisher.publish(other)

    entries = await redis_client.xrange(topology.redis_stream)
    ids = [fields[b"message_id"].decode() for _, fields in entries]
    assert ids == [first.id, first.id, other.id]
    assert list(dict.fromkeys(ids)) == [first.id, other.id]  # what a consumer deduping on message_id processes


async def test_a_faststream_subscriber_receives_the_envelope(
    redis_url: str, publisher: FastStreamEventPublisher, redis_client: aioredis.Redis, topology: BrokerTopology
) -> None:
    message = outbox_message()
    await publisher.publish(message)

    received: asyncio.Queue[Any] = asyncio.Queue()
    consumer = RedisBroker(redis_url, apply_types=False)

    @consumer.subscriber(stream=StreamSub(topology.redis_stream, last_id="0"))
    async def on_event(body: Any) -> None:
        await received.put(body)

    async with consumer:
        await consumer.start()
        body = await asyncio.wait_for(received.get(), 5)
    assert body == expected_body(message)
