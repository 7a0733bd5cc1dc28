"""The EventPublisher adapter: outbox events onto RabbitMQ, NATS JetStream, Redis Streams or Kafka, via FastStream.

One `FastStreamEventPublisher` per process, chosen by the scheme of PAYMENTS_BROKER_URL. It connects lazily on the
first publish (so building the container never touches the network), bounds every call by a timeout (so the relay
never hangs on a dead broker), and returns only once the broker has accepted the message:

- RabbitMQ: a durable topic exchange, routing key = event type, persistent messages, publisher confirms
  (a nack raises). Consumers bind their own durable queues; an event that no queue is bound for is dropped by
  RabbitMQ, as any topic exchange would.
- NATS: JetStream stream `PAYMENTS` over `payments.events.>`, subject `payments.events.<event type>`, published
  through JetStream so the server acknowledges, with `Nats-Msg-Id` = event id so JetStream drops redeliveries
  inside its duplicate window.
- Redis Streams: XADD to stream `payments.events` with plain fields (`message_id`, `event_type`, `payment_id`,
  `content_type`, `data`), readable by any Redis client; FastStream stream subscribers receive `data` as the body.
- Kafka: topic `payments.events`, key = payment id (per-payment ordering), `acks=all` with an idempotent producer.

Every message carries the event id as its message id (AMQP `message_id`, NATS/Kafka header `message_id`, Redis
field `message_id`), so consumers dedupe the at-least-once redeliveries of the outbox relay. The body is the
outbox envelope as JSON.

On any failure the connection is dropped and rebuilt on the next call; the error is raised as
`EventPublishError` so the relay records it and retries later.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import msgspec

from application.data.outbox import OutboxMessage
from infrastructure.settings import SettingsError

if TYPE_CHECKING:
    from infrastructure.settings import Settings

log = logging.getLogger(__name__)
_faststream_log = logging.getLogger("infrastructure.broker.faststream")

JSON = "application/json"
DEFAULT_TIMEOUT_SECONDS = 5.0
_CLOSE_TIMEOUT_SECONDS = 5.0
_REASON_LIMIT = 200


class EventPublishError(Exception):
    """The broker did not accept the event (unreachable, timed out, refused); the relay retries later."""


@dataclass(frozen=True, slots=True)
class BrokerTopology:
    """Where events go. The defaults are the contract; tests use unique names per run."""

    exchange: str = "payments.events"  # RabbitMQ topic exchange
    nats_stream: str = "PAYMENTS"  # JetStream stream
    subject_prefix: str = "payments.events"  # NATS subjects: <prefix>.<event type>; the stream holds <prefix>.>
    redis_stream: str = "payments.events"
    kafka_topic: str = "payments.events"
    nats_duplicate_window_seconds: float = 120.0  # JetStream drops a repeated Nats-Msg-Id within this window


def encode_body(message: OutboxMessage) -> bytes:
    """The outbox envelope as JSON (msgspec: datetimes as RFC 3339, Decimals as strings)."""
    return msgspec.json.encode(dict(message.payload))


def message_headers(message: OutboxMessage) -> dict[str, str]:
    return {"message_id": message.id, "event_type": message.event_type, "payment_id": message.payment_id}


class _Transport(Protocol):
    """One broker connection. `connect` cleans up after itself when it fails."""

    async def connect(self) -> None: ...

    async def publish(self, message: OutboxMessage, body: bytes) -> None: ...

    async def ping(self) -> None:
        """Raises unless the connection answers."""
        ...

    async def close(self) -> None: ...


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
        self._factory = _transport_factory(url, topology or BrokerTopology(), timeout)
        self._transport: _Transport | None = None
        self._lock = asyncio.Lock()

    @property
    def scheme(self) -> str:
        return self._scheme

    async def publish(self, message: OutboxMessage) -> None:
        body = encode_body(message)
        transport: _Transport | None = None
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
        transport: _Transport | None = None
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
            await _close_quietly(transport)

    async def _connected(self) -> _Transport:
        async with self._lock:
            if self._transport is None:
                transport = self._factory()
                await transport.connect()
                self._transport = transport
            return self._transport

    async def _discard(self, transport: _Transport | None) -> None:
        """Drops a connection that failed, so the next call starts afresh (only if nobody replaced it yet)."""
        if transport is None or self._transport is not transport:
            return
        self._transport = None
        await _close_quietly(transport)

    def _reason(self, error: BaseException) -> str:
        if isinstance(error, TimeoutError):
            return f"no answer within {self._timeout:g} s"
        text = str(error).strip().removeprefix(f"{type(error).__name__}: ")
        if self._password:
            text = text.replace(self._password, "***")
        if len(text) > _REASON_LIMIT:
            text = text[:_REASON_LIMIT] + "…"
        return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def _close_quietly(transport: _Transport) -> None:
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT_SECONDS):
            await transport.close()
    except Exception as error:  # closing a broken connection may fail in any way; it is gone either way
        log.debug("closing the broker connection failed", exc_info=error)


async def _stop_quietly(client: Any) -> None:
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT_SECONDS):
            await client.stop()
    except Exception as error:
        log.debug("stopping a broker client failed", exc_info=error)


def build_event_publisher(settings: Settings) -> FastStreamEventPublisher | None:
    """The publisher for PAYMENTS_BROKER_URL, or None when no broker is configured (events stay in the outbox)."""
    if settings.broker_url is None:
        return None
    return FastStreamEventPublisher(settings.broker_url)


# ---- transports ---------------------------------------------------------------------------------------------


def _transport_factory(url: str, topology: BrokerTopology, timeout: float) -> Callable[[], _Transport]:
    scheme = urlsplit(url).scheme
    if scheme in ("amqp", "amqps"):
        _require("rabbit", "faststream.rabbit")
        return lambda: _RabbitTransport(url, topology, timeout)
    if scheme == "nats":
        _require("nats", "faststream.nats")
        return lambda: _NatsTransport(url, topology, timeout)
    if scheme in ("redis", "rediss"):
        _require("redis", "faststream.redis")
        return lambda: _RedisTransport(url, topology, timeout)
    if scheme == "kafka":
        _require("kafka", "faststream.kafka")
        return lambda: _KafkaTransport(url, topology, timeout)
    raise SettingsError([f"PAYMENTS_BROKER_URL has an unsupported scheme {scheme!r}; use amqp, nats, redis or kafka"])


def _require(extra: str, module: str) -> None:
    try:
        __import__(module)
    except ImportError as error:
        raise SettingsError(
            [f'PAYMENTS_BROKER_URL needs the {extra} client: install "faststream[{extra}]" ({error})']
        ) from None


class _RabbitTransport:
    def __init__(self, url: str, topology: BrokerTopology, timeout: float) -> None:
        from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange
        from faststream.rabbit.schemas import Channel

        self._timeout = timeout
        self._broker = RabbitBroker(
            url,
            timeout=timeout,
            default_channel=Channel(publisher_confirms=True),
            logger=_faststream_log,
            apply_types=False,
        )
        self._exchange = RabbitExchange(topology.exchange, type=ExchangeType.TOPIC, durable=True)

    async def connect(self) -> None:
        try:
            await self._broker.connect()
            await self._broker.declare_exchange(self._exchange)
        except BaseException:
            await _close_quietly(self)
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


class _NatsTransport:
    def __init__(self, url: str, topology: BrokerTopology, timeout: float) -> None:
        from faststream.nats import NatsBroker

        self._timeout = timeout
        self._topology = topology
        self._broker = NatsBroker(
            [server.strip() for server in url.split(",") if server.strip()],
            connect_timeout=max(1, math.ceil(timeout)),
            logger=_faststream_log,
            apply_types=False,
        )

    async def connect(self) -> None:
        from nats.js.errors import BadRequestError

        try:
            await self._broker.connect()
            js = self._broker.connection.jetstream()
            stream = self._topology.nats_stream
            try:
                await js.add_stream(
                    name=stream,
                    subjects=[f"{self._topology.subject_prefix}.>"],
                    duplicate_window=self._topology.nats_duplicate_window_seconds,
                )
            except BadRequestError as error:  # it exists with an operator's configuration: use it as it is
                await js.stream_info(stream)
                log.info("using the existing JetStream stream %s as configured (%s)", stream, error.description)
        except BaseException:
            await _close_quietly(self)
            raise

    async def publish(self, message: OutboxMessage, body: bytes) -> None:
        ack = await self._broker.publish(
            body,
            subject=f"{self._topology.subject_prefix}.{message.event_type}",
            headers={"content-type": JSON, "Nats-Msg-Id": message.id, **message_headers(message)},
            correlation_id=message.id,
            stream=self._topology.nats_stream,
            timeout=self._timeout,
        )
        if ack.duplicate:
            log.info("JetStream already had event %s (duplicate window): not stored again", message.id)

    async def ping(self) -> None:
        await self._broker.connection.flush(timeout=max(1, math.ceil(self._timeout)))

    async def close(self) -> None:
        await self._broker.stop()


class _RedisTransport:
    def __init__(self, url: str, topology: BrokerTopology, timeout: float) -> None:
        from faststream.redis import RedisBroker

        self._stream = topology.redis_stream
        self._broker = RedisBroker(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            logger=_faststream_log,
            apply_types=False,
        )
        self._client: Any = None

    async def connect(self) -> None:
        try:
            self._client = await self._broker.connect()
            await self._client.ping()
        except BaseException:
            await _close_quietly(self)
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


class _KafkaTransport:
    def __init__(self, url: str, topology: BrokerTopology, timeout: float) -> None:
        from faststream.kafka import KafkaBroker

        self._timeout = timeout
        self._topic = topology.kafka_topic
        self._broker = KafkaBroker(
            kafka_bootstrap_servers(url),
            request_timeout_ms=int(timeout * 1000),
            acks="all",
            enable_idempotence=True,
            logger=_faststream_log,
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
                await _stop_quietly(producer)
            await _close_quietly(self)
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
