"""Redis Streams: XADD to one stream with plain fields, readable by any Redis client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from application.data.outbox import OutboxMessage
from infrastructure.broker.topology import JSON, BrokerTopology, message_headers
from infrastructure.broker.transport import close_quietly, faststream_log


class RedisTransport:
    def __init__(self, url: str, topology: BrokerTopology, timeout: float) -> None:
        from faststream.redis import RedisBroker

        self._stream = topology.redis_stream
        self._broker = RedisBroker(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            logger=faststream_log,
            apply_types=False,
        )
        self._client: Any = None

    async def connect(self) -> None:
        try:
            self._client = await self._broker.connect()
            await self._client.ping()
        except BaseException:
            await close_quietly(self)
            raise

    async def publish(self, message: OutboxMessage, body: bytes) -> None:
        fields: Mapping[str, str | bytes] = {
            **message_headers(message),
            "content_type": JSON,
            "data": body,
        }
        await self._client.xadd(self._stream, dict(fields))

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        await self._broker.stop()
