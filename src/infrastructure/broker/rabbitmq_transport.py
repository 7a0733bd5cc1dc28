"""RabbitMQ: a durable topic exchange, routing key = event type, persistent messages, publisher confirms."""

from __future__ import annotations

from application.data.outbox import OutboxMessage
from infrastructure.broker.topology import JSON, BrokerTopology, message_headers
from infrastructure.broker.transport import close_quietly, faststream_log


class RabbitTransport:
    def __init__(self, url: str, topology: BrokerTopology, timeout: float) -> None:
        from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange
        from faststream.rabbit.schemas import Channel

        self._timeout = timeout
        self._broker = RabbitBroker(
            url,
            timeout=timeout,
            default_channel=Channel(publisher_confirms=True),
            logger=faststream_log,
            apply_types=False,
        )
        self._exchange = RabbitExchange(topology.exchange, type=ExchangeType.TOPIC, durable=True)

    async def connect(self) -> None:
        try:
            await self._broker.connect()
            await self._broker.declare_exchange(self._exchange)
        except BaseException:
            await close_quietly(self)
            raise

    async def publish(self, message: OutboxMessage, body: bytes) -> None:
        # With publisher confirms the call returns once RabbitMQ has taken responsibility; a nack raises.
        await self._broker.publish(
            body,
            exchange=self._exchange,
            routing_key=message.event_type,
            mandatory=False,
            persist=True,
            message_id=message.id,
            correlation_id=message.id,
            content_type=JSON,
            headers=dict(message_headers(message)),
            message_type=message.event_type,
            timestamp=message.created_at,
            timeout=self._timeout,
        )

    async def ping(self) -> None:
        if not await self._broker.ping(self._timeout):
            raise ConnectionError("the RabbitMQ connection is down")

    async def close(self) -> None:
        await self._broker.stop()
