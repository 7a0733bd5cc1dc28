"""The callback client's socket layer (infrastructure/callbacks/asyncio_network.py) on real loopback sockets,
each test on asyncio's own loop and on uvloop (loopback.py): a backend that worked on one only would deliver no
callback in production."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpcore
import pytest

from infrastructure.callbacks.asyncio_network import AsyncioNetworkBackend
from infrastructure.callbacks.host_resolver import AsyncioHostResolver
from infrastructure.callbacks.public_address_transport import build_callback_client
from tests.integration.worker.loopback import certificates, read_request, serve


async def http_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, close_after: int) -> None:
    """Answers `close_after` requests with an empty 204, then closes the connection without saying so."""
    for _ in range(close_after):
        await read_request(reader)
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
    writer.close()


def test_posts_reuse_one_connection_and_a_connection_the_receiver_closed_is_not_reused(run: Any) -> None:
    """Three posts: the first two on one connection; the receiver then closes it while idle (no `Connection:
    close`), so the third must notice before sending and open another. Without the idle check the third post
    would go out on the closed connection and fail."""

    async def scenario() -> tuple[list[int], list[int]]:
        ports: list[int] = []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            ports.append(writer.get_extra_info("peername")[1])
            await http_answers(reader, writer, close_after=2)

        server, port = await serve(handler)
        statuses = []
        async with server, build_callback_client(AsyncioHostResolver(), allow_private_networks=True) as client:
            for _ in range(3):
                statuses.append((await client.post(f"http://127.0.0.1:{port}/cb", content=b"{}")).status_code)
                await asyncio.sleep(0.05)  # idle: the receiver's close arrives meanwhile
        return statuses, ports

    statuses, ports = run(scenario())

    assert statuses == [204, 204, 204]
    assert len(ports) == 2  # one connection for the first two posts, a new one for the third


@pytest.mark.parametrize("tls", [False, True], ids=["tcp", "tls"])
def test_a_read_returns_what_arrived_then_the_end_and_a_large_answer_pushes_back(run: Any, tls: bool) -> None:
    """32 MiB, more than the kernel's buffers and ours hold: unread, the stream stops reading and the sender
    waits (a receiver cannot make the worker buffer without bound); read, it all arrives, then the end. Over
    TLS reading pauses above the decryption, which the sender cannot see (its TLS layer takes the whole write
    at once), so there only the answer's arrival, whole, after pausing and resuming is checked."""
    payload = bytes(range(256)) * (32 * 4096)
    server_side, client_side = certificates("orders.example") if tls else (None, None)

    async def scenario() -> tuple[bool, bytes, bytes, bool]:
        sent = asyncio.Event()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(payload)
            await writer.drain()
            sent.set()
            writer.close()

        server, port = await serve(handler, tls=server_side)
        async with server:
            stream = await AsyncioNetworkBackend().connect_tcp("127.0.0.1", port, timeout=5)
            if client_side is not None:
                stream = await stream.start_tls(client_side, server_hostname="orders.example", timeout=5)
            await asyncio.sleep(0.3)
            sent_unread = sent.is_set()
            chunks = []
            while chunk := await stream.read(65536, timeout=5):
                chunks.append(chunk)
            after_end = await stream.read(65536, timeout=5)
            readable = stream.get_extra_info("is_readable")
            await stream.aclose()
        return sent_unread, b"".join(chunks), after_end, readable

    sent_unread, received, after_end, readable = run(scenario())

    if not tls:  # held back while unread (over TLS the sender's own TLS layer takes the whole write at once)
        assert sent_unread is False
    assert received == payload
    assert after_end == b""
    assert readable is True  # an ended connection must never be taken for an idle one


def test_a_read_with_nothing_to_read_times_out(run: Any) -> None:
    async def scenario() -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()  # says nothing until the client goes

        server, port = await serve(handler)
        async with server:
            stream = await AsyncioNetworkBackend().connect_tcp("127.0.0.1", port, timeout=5)
            try:
                assert stream.get_extra_info("is_readable") is False
                with pytest.raises(httpcore.ReadTimeout):
                    await stream.read(1024, timeout=0.2)
            finally:
                await stream.aclose()

    run(scenario())


async def write_megabytes(stream: httpcore.AsyncNetworkStream, count: int) -> None:
    for _ in range(count):
        await stream.write(b"x" * (1 << 20), timeout=0.3)


def test_a_write_the_receiver_does_not_take_times_out(run: Any) -> None:
    """The receiver never reads: once the kernel's buffers are full the write waits, and gives up at its timeout."""

    async def scenario() -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(10)

        server, port = await serve(handler)
        async with server:
            stream = await AsyncioNetworkBackend().connect_tcp("127.0.0.1", port, timeout=5)
            try:
                with pytest.raises(httpcore.WriteTimeout):
                    await write_megabytes(stream, 64)
            finally:
                await stream.aclose()

    run(scenario())


def test_a_closed_port_is_a_connect_error_and_connections_go_out_without_nagle(run: Any) -> None:
    async def scenario() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        with pytest.raises(httpcore.ConnectError):
            await AsyncioNetworkBackend().connect_tcp("127.0.0.1", closed, timeout=5)

        server, port = await serve(lambda reader, writer: reader.read())
        async with server:
            stream = await AsyncioNetworkBackend().connect_tcp("127.0.0.1", port, timeout=5)
            nodelay: int = stream.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            await stream.aclose()
        return nodelay

    # a small callback held back for the receiver's delayed ACK would wait ~40 ms
    assert run(scenario()) != 0


def test_tls_checks_the_receivers_certificate_and_name(run: Any) -> None:
    server_side, client_side = certificates("orders.example")

    async def scenario() -> tuple[bytes, str, type[Exception]]:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"hello " + await reader.readexactly(5))
            await writer.drain()
            writer.close()

        server, port = await serve(handler, tls=server_side)
        async with server:
            plain = await AsyncioNetworkBackend().connect_tcp("127.0.0.1", port, timeout=5)
            stream = await plain.start_tls(client_side, server_hostname="orders.example", timeout=5)
            await stream.write(b"world", timeout=5)
            answer = await stream.read(1024, timeout=5)
            version = stream.get_extra_info("ssl_object").version()
            await stream.aclose()

            other = await AsyncioNetworkBackend().connect_tcp("127.0.0.1", port, timeout=5)
            with pytest.raises(httpcore.ConnectError) as refused:
                await other.start_tls(client_side, server_hostname="elsewhere.example", timeout=5)
        return answer, version, refused.type

    answer, version, refused = run(scenario())

    assert answer == b"hello world"
    assert version.startswith("TLSv1.")
    assert refused is httpcore.ConnectError  # the certificate names another host
