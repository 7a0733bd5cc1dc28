"""RabbitMQ: a durable topic exchange, routing key = event type, persistent, confirmed, message id = event id."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from infrastructure.broker import BrokerTopology, FastStreamEventPublisher
from tests.integration.broker.messages import expected_body, outbox_message


@pytest.fixture
async def publisher(rabbitmq_url: str, topology: BrokerTopology) -> AsyncIterator[FastStreamEventPublisher]:
    publisher = FastStreamEventPublisher(rabbitmq_url, topology=topology, timeout=5)
    yield publisher
    await publisher.aclose()


async def _queue(channel: AbstractChannel, topology: BrokerTopology, binding: str = "#") -> AbstractQueue:
    """A consumer's queue bound to the exchange, as a downstream service would declare it."""
    exchange = await channel.declare_exchange(topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key=binding)
    return queue


async def _drain(queue: AbstractQueue) -> list[AbstractIncomingMessage]:
    messages: list[AbstractIncomingMessage] = []
    while (message := await queue.get(no_ack=True, fail=False, timeout=5)) is not None:
        messages.append(message)
    return messages


async def test_publishes_the_envelope_with_the_event_id_as_message_id(
    publisher: FastStreamEventPublisher, rabbitmq: AbstractChannel, topology: BrokerTopology
) -> None:
    message = outbox_message("payment.succeeded")
    await publisher.publish(message)  # declares the exchange on first use
    queue = await _queue(rabbitmq, topology)
    await publisher.publish(message)  # now routed to the consumer's queue

    [received] = await _drain(queue)
    assert json.loads(received.body) == expected_body(message)
    assert received.message_id == message.id
    assert received.correlation_id == message.id
    assert received.routing_key == "payment.succeeded"
    assert received.exchange == topology.exchange
    assert received.content_type == "application/json"
    assert received.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert received.type == "payment.succeeded"
    assert received.headers["event_type"] == "payment.succeeded"
    assert received.headers["payment_id"] == message.payment_id
    assert received.headers["message_id"] == message.id


async def test_the_exchange_is_a_durable_topic_exchange(
    publisher: FastStreamEventPublisher, rabbitmq: AbstractChannel, topology: BrokerTopology
) -> None:
    await publisher.publish(outbox_message())
    # a passive declare fails (and closes the channel) unless the exchange exists; redeclaring it with the
    # same type and durability succeeds only if it was declared as a durable topic exchange
    await rabbitmq.get_exchange(topology.exchange, ensure=True)
    await rabbitmq.declare_exchange(topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)


async def test_routing_keys_let_consumers_pick_event_types(
    publisher: FastStreamEventPublisher, rabbitmq: AbstractChannel, topology: BrokerTopology
) -> None:
    refunds = await _queue(rabbitmq, topology, binding="refund.#")
    await publisher.publish(outbox_message("payment.succeeded"))
    refund = outbox_message("refund.succeeded")
    await publisher.publish(refund)

    received = await _drain(refunds)
    assert [(m.routing_key, m.message_id) for m in received] == [("refund.succeeded", refund.id)]


async def test_a_redelivered_event_keeps_its_id_so_the_consumer_dedupes_it(
    publisher: FastStreamEventPublisher, rabbitmq: AbstractChannel, topology: BrokerTopology
) -> None:
    queue = await _queue(rabbitmq, topology)
    first, other = outbox_message(), outbox_message("payment.failed")
    # the relay published, crashed before marking the row, and publishes it again: at least once
    await publisher.publish(first)
    await publisher.publish(first)
    await publisher.publish(other)

    received = await _drain(queue)
    assert [m.message_id for m in received] == [first.id, first.id, other.id]
    seen: set[str | None] = set()
    processed = [m for m in received if m.message_id not in seen and not seen.add(m.message_id)]
    assert [json.loads(m.body)["id"] for m in processed] == [first.id, other.id]


async def test_reconnects_lazily_after_aclose(
    publisher: FastStreamEventPublisher, rabbitmq: AbstractChannel, topology: BrokerTopology
) -> None:
    queue = await _queue(rabbitmq, topology)
    await publisher.publish(outbox_message())
    await publisher.aclose()
    again = outbox_message()
    await publisher.publish(again)

    assert [m.message_id for m in await _drain(queue)][-1] == again.id
    assert await publisher.check() == "ok"
