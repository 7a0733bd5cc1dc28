"""One broker connection (a transport per broker, each in its own module), chosen by the URL's scheme."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from application.data.outbox import OutboxMessage
from infrastructure.broker.topology import BrokerTopology
from infrastructure.settings import SettingsError

log = logging.getLogger(__name__)
faststream_log = logging.getLogger("infrastructure.broker.faststream")
_CLOSE_TIMEOUT_SECONDS = 5.0


class Transport(Protocol):
    """One broker connection. `connect` cleans up after itself when it fails."""

    async def connect(self) -> None: ...

    async def publish(self, message: OutboxMessage, body: bytes) -> None: ...

    async def ping(self) -> None:
        """Raises unless the connection answers."""
        ...

    async def close(self) -> None: ...


async def close_quietly(transport: Transport) -> None:
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT_SECONDS):
            await transport.close()
    except Exception as error:  # closing a broken connection may fail in any way; it is gone either way
        log.debug("closing the broker connection failed", exc_info=error)


async def stop_quietly(client: Any) -> None:
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT_SECONDS):
            await client.stop()
    except Exception as error:
        log.debug("stopping a broker client failed", exc_info=error)


def transport_factory(url: str, topology: BrokerTopology, timeout: float) -> Callable[[], Transport]:
    scheme = urlsplit(url).scheme
    if scheme in ("amqp", "amqps"):
        _require("rabbit", "faststream.rabbit")
        from infrastructure.broker.rabbitmq_transport import RabbitTransport

        return lambda: RabbitTransport(url, topology, timeout)
    if scheme == "nats":
        _require("nats", "faststream.nats")
        from infrastructure.broker.nats_transport import NatsTransport

        return lambda: NatsTransport(url, topology, timeout)
    if scheme in ("redis", "rediss"):
        _require("redis", "faststream.redis")
        from infrastructure.broker.redis_transport import RedisTransport

        return lambda: RedisTransport(url, topology, timeout)
    if scheme == "kafka":
        _require("kafka", "faststream.kafka")
        from infrastructure.broker.kafka_transport import KafkaTransport

        return lambda: KafkaTransport(url, topology, timeout)
    raise SettingsError([f"PAYMENTS_BROKER_URL has an unsupported scheme {scheme!r}; use amqp, nats, redis or kafka"])


def _require(extra: str, module: str) -> None:
    try:
        __import__(module)
    except ImportError as error:
        raise SettingsError(
            [f'PAYMENTS_BROKER_URL needs the {extra} client: install "faststream[{extra}]" ({error})']
        ) from None
