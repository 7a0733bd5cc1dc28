"""Kafka: one topic, key = payment id (per-payment ordering), `acks=all` with an idempotent producer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from application.data.outbox import OutboxMessage
from infrastructure.broker.topology import JSON, BrokerTopology, message_headers
from infrastructure.broker.transport import close_quietly, faststream_log, stop_quietly


class KafkaTransport:
    def __init__(self, url: str, topology: BrokerTopology, timeout: float) -> None:
        from faststream.kafka import KafkaBroker

        self._timeout = timeout
        self._topic = topology.kafka_topic
        self._broker = KafkaBroker(
            kafka_bootstrap_servers(url),
            request_timeout_ms=int(timeout * 1000),
            acks="all",
            enable_idempotence=True,
            logger=faststream_log,
            apply_types=False,
        )

    async def connect(self) -> None:
        # FastStream drops the aiokafka producer when its start() fails without stopping it, which leaks it
        # (and warns "Unclosed AIOKafkaProducer" on every retry while Kafka is down): remember it to stop it
        producers: list[Any] = []
        state: Any = self._broker.config.producer  # the FastStream producer state (its Protocol hides connect)
        start = state.connect

        async def remembering(producer: Any, *args: Any, **kwargs: Any) -> None:
            producers.append(producer)
            await start(producer, *args, **kwargs)

        setattr(state, "connect", remembering)  # noqa: B010 (an instance attribute over the method)
        try:
            await self._broker.connect()
        except BaseException:
            for producer in producers:
                await stop_quietly(producer)
            await close_quietly(self)
            raise
        finally:
            delattr(state, "connect")

    async def publish(self, message: OutboxMessage, body: bytes) -> None:
        await self._broker.publish(
            body,
            self._topic,
            key=message.payment_id.encode(),
            headers={"content-type": JSON, **message_headers(message)},
            correlation_id=message.id,
        )

    async def ping(self) -> None:
        if not await self._broker.ping(self._timeout):
            raise ConnectionError("the Kafka connection is down")

    async def close(self) -> None:
        await self._broker.stop()


def kafka_bootstrap_servers(url: str) -> list[str]:
    """`kafka://host1:9092,host2:9092` → ["host1:9092", "host2:9092"] (port 9092 when omitted)."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    servers = [server.strip() for server in netloc.split(",") if server.strip()]
    return [server if ":" in server else f"{server}:9092" for server in servers]
