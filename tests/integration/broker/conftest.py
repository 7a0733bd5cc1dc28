"""The event publisher against the real brokers on this machine: RabbitMQ, NATS (JetStream) and Redis.

Servers come from PAYMENTS_TEST_RABBITMQ_URL, PAYMENTS_TEST_NATS_URL and PAYMENTS_TEST_REDIS_URL (defaults: the
local servers). When one cannot be reached its tests are skipped with the reason shown, unless
PAYMENTS_TEST_REQUIRE_BROKERS=1 (CI), which turns the absence into a failure. Every test gets its own exchange,
queue, stream and subject names and removes them afterwards, so runs never see each other's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import nats
import pytest
import redis.asyncio as aioredis
from nats.js.errors import NotFoundError

from infrastructure.broker import BrokerTopology

RABBITMQ_URL = os.environ.get("PAYMENTS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
NATS_URL = os.environ.get("PAYMENTS_TEST_NATS_URL", "nats://127.0.0.1:4222")
REDIS_URL = os.environ.get("PAYMENTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_PROBE_SECONDS = 3.0


def brokers_required() -> bool:
    return os.environ.get("PAYMENTS_TEST_REQUIRE_BROKERS") == "1"


def _skip_or_fail(reason: str | None) -> None:
    if reason is None:
        return
    if brokers_required():
        pytest.fail(f"PAYMENTS_TEST_REQUIRE_BROKERS=1 but {reason}", pytrace=False)
    pytest.skip(reason)


async def _rabbitmq_unreachable_reason() -> str | None:
    try:
        connection = await aio_pika.connect(RABBITMQ_URL, timeout=_PROBE_SECONDS)
    except Exception as error:
        return f"RabbitMQ not reachable at {RABBITMQ_URL} ({type(error).__name__}: {error})"
    await connection.close()
    return None


async def _nats_unreachable_reason() -> str | None:
    try:
        # bounded from outside: nats-py retries a refused first connection for a long while, whatever its options
        client = await asyncio.wait_for(_nats_connect(NATS_URL), _PROBE_SECONDS)
    except Exception as error:
        return f"NATS not reachable at {NATS_URL} ({type(error).__name__}: {error})"
    try:
        await client.jetstream().account_info()
    except Exception as error:
        return f"NATS at {NATS_URL} has no JetStream ({type(error).__name__}: {error})"
    finally:
        await client.close()
    return None


async def _quiet(_: Exception) -> None:
    """nats-py logs every failed attempt with a traceback unless given an error callback."""


async def _nats_connect(url: str) -> Any:
    return await nats.connect(
        url, connect_timeout=int(_PROBE_SECONDS), allow_reconnect=False, max_reconnect_attempts=0, error_cb=_quiet
    )


async def _redis_unreachable_reason() -> str | None:
    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=_PROBE_SECONDS, socket_timeout=_PROBE_SECONDS)
    try:
        await client.ping()
    except Exception as error:
        return f"Redis not reachable at {REDIS_URL} ({type(error).__name__}: {error})"
    finally:
        await client.aclose()
    return None


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    _skip_or_fail(asyncio.run(_rabbitmq_unreachable_reason()))
    return RABBITMQ_URL


@pytest.fixture(scope="session")
def nats_url() -> str:
    _skip_or_fail(asyncio.run(_nats_unreachable_reason()))
    return NATS_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    _skip_or_fail(asyncio.run(_redis_unreachable_reason()))
    return REDIS_URL


@pytest.fixture
def topology() -> BrokerTopology:
    """Names of this test's own: nothing is shared with other tests, runs or the real `payments.events`."""
    run = uuid.uuid4().hex[:12]
    return BrokerTopology(
        exchange=f"test.payments.events.{run}",
        nats_stream=f"TEST_PAYMENTS_{run.upper()}",
        subject_prefix=f"test.{run}.payments.events",
        redis_stream=f"test.payments.events.{run}",
        kafka_topic=f"test.payments.events.{run}",
    )


@pytest.fixture
async def rabbitmq(rabbitmq_url: str, topology: BrokerTopology) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A raw aio-pika channel for the test to consume with; deletes the test's exchange afterwards."""
    connection = await aio_pika.connect(rabbitmq_url, timeout=_PROBE_SECONDS)
    channel = await connection.channel()
    try:
        yield channel
    finally:
        cleanup = await connection.channel()
        await cleanup.exchange_delete(topology.exchange)
        await connection.close()


@pytest.fixture
async def jetstream(nats_url: str, topology: BrokerTopology) -> AsyncIterator[Any]:
    """A raw JetStream context for the test to read with; deletes the test's stream afterwards."""
    client = await asyncio.wait_for(_nats_connect(nats_url), _PROBE_SECONDS)
    js = client.jetstream()
    try:
        yield js
    finally:
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(topology.nats_stream)
        await client.close()


@pytest.fixture
async def redis_client(redis_url: str, topology: BrokerTopology) -> AsyncIterator[aioredis.Redis]:
    """A raw Redis client for the test to read the stream with; deletes the test's stream afterwards."""
    client = aioredis.from_url(redis_url, socket_connect_timeout=_PROBE_SECONDS, socket_timeout=_PROBE_SECONDS)
    try:
        yield client
    finally:
        await client.delete(topology.redis_stream)
        await client.aclose()
