"""NATS JetStream: stream over `<prefix>.>`, subject per event type, `Nats-Msg-Id` = event id (server-side dedupe)."""

from __future__ import annotations

import logging
import math

from application.data.outbox import OutboxMessage
from infrastructure.broker.topology import JSON, BrokerTopology, message_headers
from infrastructure.broker.transport import close_quietly, faststream_log

log = logging.getLogger(__name__)


class NatsTransport:
    def __init__(self, url: str, topology: BrokerTopology, timeout: float) -> None:
        from faststream.nats import NatsBroker

        self._timeout = timeout
        self._topology = topology
        self._broker = NatsBroker(
            [server.strip() for server in url.split(",") if server.strip()],
            connect_timeout=max(1, math.ceil(timeout)),
            logger=faststream_log,
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
            await close_quietly(self)
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
