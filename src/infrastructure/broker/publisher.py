"""The EventPublisher adapter: outbox events onto RabbitMQ, NATS JetStream, Redis Streams or Kafka, via FastStream.

One `FastStreamEventPublisher` per process, chosen by the scheme of PAYMENTS_BROKER_URL. It connects lazily on the
first publish (so building the container never touches the network), bounds every call by a timeout (so the relay
never hangs on a dead broker), and returns only once the broker has accepted the message:

- RabbitMQ (`rabbitmq_transport.py`): a durable topic exchange, routing key = event type, persistent messages, publisher confirms
  (a nack raises). Consumers bind their own durable queues; an event that no queue is bound for is dropped by
  RabbitMQ, as any topic exchange would.
- NATS (`nats_transport.py`): JetStream stream `PAYMENTS` over `payments.events.>`, subject `payments.events.<event type>`, published
  through JetStream so the server acknowledges, with `Nats-Msg-Id` = event id so JetStream drops redeliveries
  inside its duplicate window.
- Redis Streams (`redis_transport.py`): XADD to stream `payments.events` with plain fields (`message_id`, `event_type`, `payment_id`,
  `content_type`, `data`), readable by any Redis client; FastStream stream subscribers receive `data` as the body.
- Kafka (`kafka_transport.py`): topic `payments.events`, key = payment id (per-payment ordering), `acks=all` with an idempotent producer.

Every message carries the event id as its message id (AMQP `message_id`, NATS/Kafka header `message_id`, Redis
field `message_id`), so consumers dedupe the at-least-once redeliveries of the outbox relay. The body is the
outbox envelope as JSON.

On any failure the connection is dropped and rebuilt on the next call; the error is raised as
`EventPublishError` so the relay records it and retries later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from application.data.outbox import OutboxMessage
from infrastructure.broker.topology import BrokerTopology, encode_body
from infrastructure.broker.transport import Transport, close_quietly, transport_factory

if TYPE_CHECKING:
    from infrastructure.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 5.0
_REASON_LIMIT = 200


class EventPublishError(Exception):
    """The broker did not accept the event (unreachable, timed out, refused); the relay retries later."""


class FastStreamEventPublisher:
    """EventPublisher over a FastStream broker; see the module docstring for each broker's mapping."""

    def __init__(
        self,
        url: str,
        *,
        topology: BrokerTopology | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._url = url
        self._scheme = urlsplit(url).scheme
        self._password = urlsplit(url).password
        self._timeout = timeout
        self._factory = transport_factory(url, topology or BrokerTopology(), timeout)
        self._transport: Transport | None = None
        self._lock = asyncio.Lock()

    @property
    def scheme(self) -> str:
        return self._scheme

    async def publish(self, message: OutboxMessage) -> None:
        body = encode_body(message)
        transport: Transport | None = None
        try:
            async with asyncio.timeout(self._timeout):
                transport = await self._connected()
                await transport.publish(message, body)
        except Exception as error:
            await self._discard(transport)
            reason = self._reason(error)
            raise EventPublishError(f"{self._scheme} broker did not accept {message.id}: {reason}") from error

    async def check(self) -> str:
        """For readiness: "ok", or why the broker is not usable (never the URL's secrets)."""
        transport: Transport | None = None
        try:
            async with asyncio.timeout(self._timeout):
                transport = await self._connected()
                await transport.ping()
        except Exception as error:
            await self._discard(transport)
            reason = self._reason(error)
            log.warning("broker check failed: %s", reason)
            return f"failed: {reason}"
        return "ok"

    async def aclose(self) -> None:
        async with self._lock:
            transport, self._transport = self._transport, None
        if transport is not None:
            await close_quietly(transport)

    async def _connected(self) -> Transport:
        async with self._lock:
            if self._transport is None:
                transport = self._factory()
                await transport.connect()
                self._transport = transport
            return self._transport

    async def _discard(self, transport: Transport | None) -> None:
        """Drops a connection that failed, so the next call starts afresh (only if nobody replaced it yet)."""
        if transport is None or self._transport is not transport:
            return
        self._transport = None
        await close_quietly(transport)

    def _reason(self, error: BaseException) -> str:
        if isinstance(error, TimeoutError):
            return f"no answer within {self._timeout:g} s"
        text = str(error).strip().removeprefix(f"{type(error).__name__}: ")
        if self._password:
            text = text.replace(self._password, "***")
        if len(text) > _REASON_LIMIT:
            text = text[:_REASON_LIMIT] + "…"
        return f"{type(error).__name__}: {text}" if text else type(error).__name__


def build_event_publisher(settings: Settings) -> FastStreamEventPublisher | None:
    """The publisher for PAYMENTS_BROKER_URL, or None when no broker is configured (events stay in the outbox)."""
    if settings.broker_url is None:
        return None
    return FastStreamEventPublisher(settings.broker_url)
