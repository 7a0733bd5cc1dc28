"""A broker that is down or silent: publish raises within its timeout (the relay retries later), check says why."""

from __future__ import annotations

import time

import pytest

from infrastructure.broker import BrokerTopology, EventPublishError, FastStreamEventPublisher
from tests.integration.broker.messages import outbox_message

TIMEOUT = 1.0
SLACK = 2.0  # closing a half-open client is bounded too; the whole call stays well under TIMEOUT + SLACK

# port 1 refuses at once; 192.0.2.1 (TEST-NET-1, RFC 5737) is never routed, so connecting hangs until the timeout
UNREACHABLE = [
    pytest.param("amqp://guest:secret-pw@127.0.0.1:1/", id="rabbitmq-refused"),
    pytest.param("amqp://guest:secret-pw@192.0.2.1:5672/", id="rabbitmq-silent"),
    pytest.param("nats://127.0.0.1:1", id="nats-refused"),
    pytest.param("nats://192.0.2.1:4222", id="nats-silent"),
    pytest.param("redis://:secret-pw@127.0.0.1:1/0", id="redis-refused"),
    pytest.param("redis://192.0.2.1:6379/0", id="redis-silent"),
    pytest.param("kafka://127.0.0.1:1", id="kafka-refused"),
]


@pytest.mark.parametrize("url", UNREACHABLE)
async def test_publish_raises_within_the_timeout(url: str) -> None:
    publisher = FastStreamEventPublisher(url, topology=BrokerTopology(), timeout=TIMEOUT)
    message = outbox_message()
    started = time.monotonic()
    try:
        with pytest.raises(EventPublishError, match=message.id) as raised:
            await publisher.publish(message)
        assert time.monotonic() - started < TIMEOUT + SLACK
        assert "secret-pw" not in str(raised.value)
        # the next attempt starts afresh and fails the same way: nothing is left half-connected
        with pytest.raises(EventPublishError):
            await publisher.publish(message)
    finally:
        await publisher.aclose()


@pytest.mark.parametrize("url", UNREACHABLE)
async def test_check_reports_the_reason_within_the_timeout(url: str) -> None:
    publisher = FastStreamEventPublisher(url, timeout=TIMEOUT)
    started = time.monotonic()
    try:
        result = await publisher.check()
    finally:
        await publisher.aclose()
    assert time.monotonic() - started < TIMEOUT + SLACK
    assert result.startswith("failed: ")
    assert "secret-pw" not in result
