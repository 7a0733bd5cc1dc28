"""The callback transport (infrastructure/callbacks/callback_transport.py): HTTP/1.1 with kept connections, over
real loopback sockets, against receivers that speak HTTP by hand so that each wire detail is the test's choice.
Each test runs on asyncio's own loop and on uvloop (the `run` fixture)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

import httpx
import pytest

from infrastructure.callbacks.asyncio_network import AsyncioNetworkBackend
from infrastructure.callbacks.callback_transport import CallbackTransport
from infrastructure.callbacks.public_address_transport import PublicAddressBackend
from tests.integration.worker.loopback import RunOnLoop, certificates, read_request, serve
from tests.unit.fakes import FakeResolver

NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"


class Receiver:
    """Answers each request on a connection with `answer(n)` (n counts the requests on it); after an answer that
    `closes(n)`, closes the connection. Notes each connection's client port and the heads it received."""

    def __init__(self, answer: Callable[[int], bytes], closes: Callable[[int], bool] = lambda n: False) -> None:
        self.answer, self.closes = answer, closes
        self.ports: list[int] = []
        self.heads: list[bytes] = []
        self.closed = 0  # connections the client closed
        self.ended = asyncio.Event()  # set at the first of them

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.ports.append(writer.get_extra_info("peername")[1])
        n = 0
        while True:
            head, _ = await read_request(reader)
            if not head:
                self.closed += 1
                self.ended.set()
                break
            n += 1
            self.heads.append(head)
            writer.write(self.answer(n))
            await writer.drain()
            if self.closes(n):
                break
        writer.close()


def client(transport: CallbackTransport, timeout: float = 5) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, timeout=timeout)


def test_a_chunked_answer_is_read_whole_and_its_connection_kept(run: RunOnLoop) -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"

    async def scenario() -> tuple[list[bytes], int]:
        receiver = Receiver(lambda n: chunked)
        server, port = await serve(receiver)
        async with server, client(CallbackTransport(AsyncioNetworkBackend())) as http:
            bodies = [(await http.post(f"http://127.0.0.1:{port}/cb", content=b"{}")).content for _ in range(3)]
        return bodies, len(receiver.ports)

    assert run(scenario()) == ([b"abcdefg"] * 3, 1)


def test_an_informational_answer_before_the_real_one_is_passed_over(run: RunOnLoop) -> None:
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"

    async def scenario() -> tuple[list[tuple[int, bytes]], int]:
        receiver = Receiver(lambda n: early)
        server, port = await serve(receiver)
        async with server, client(CallbackTransport(AsyncioNetworkBackend())) as http:
            answers = [await http.post(f"http://127.0.0.1:{port}/cb", content=b"{}") for _ in range(2)]
        return [(answer.status_code, answer.content) for answer in answers], len(receiver.ports)

    assert run(scenario()) == ([(201, b"ok")] * 2, 1)


def test_an_answer_that_closes_its_connection_is_not_reused(run: RunOnLoop) -> None:
    closing = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

    async def scenario() -> tuple[list[int], int]:
        receiver = Receiver(lambda n: closing, closes=lambda n: True)
        server, port = await serve(receiver)
        async with server, client(CallbackTransport(AsyncioNetworkBackend())) as http:
            statuses = [(await http.post(f"http://127.0.0.1:{port}/cb", content=b"{}")).status_code for _ in range(3)]
        return statuses, len(receiver.ports)

    assert run(scenario()) == ([200] * 3, 3)


def test_a_kept_connection_the_receiver_closes_as_the_next_post_arrives_is_replaced_for_that_post(
    run: RunOnLoop,
) -> None:
    """The receiver answers the first post, then closes the connection on reading the second (its keep-alive
    timeout crossing our request): the second is sent again on a new connection, once."""

    async def scenario() -> tuple[list[int], int]:
        receiver = Receiver(lambda n: NO_CONTENT if n == 1 else b"", closes=lambda n: n == 2)
        server, port = await serve(receiver)
        async with server, client(CallbackTransport(AsyncioNetworkBackend())) as http:
            statuses = [(await http.post(f"http://127.0.0.1:{port}/cb", content=b"{}")).status_code for _ in range(2)]
        return statuses, len(receiver.ports)

    assert run(scenario()) == ([204, 204], 2)


def test_a_receiver_that_hangs_up_or_never_answers_fails_the_post_and_its_connection_is_dropped(
    run: RunOnLoop,
) -> None:
    async def scenario() -> tuple[type[Exception], type[Exception], int]:
        hangs_up = Receiver(lambda n: b"", closes=lambda n: True)
        silent = Receiver(lambda n: b"")
        first, first_port = await serve(hangs_up)
        second, second_port = await serve(silent)
        async with first, second, client(CallbackTransport(AsyncioNetworkBackend()), timeout=0.3) as http:
            with pytest.raises(httpx.HTTPError) as hung_up:
                await http.post(f"http://127.0.0.1:{first_port}/cb", content=b"{}")
            with pytest.raises(httpx.HTTPError) as timed_out:
                await http.post(f"http://127.0.0.1:{second_port}/cb", content=b"{}")
            await asyncio.wait_for(silent.ended.wait(), 5)  # the silent one's connection is closed, not kept
        return type(hung_up.value), type(timed_out.value), len(silent.ports)

    assert run(scenario()) == (httpx.ReadError, httpx.ReadTimeout, 1)


def test_https_checks_the_certificate_against_the_name_and_sends_the_name_as_host(run: RunOnLoop) -> None:
    """Through the public-address backend (here with a rule that lets loopback pass), as the worker connects:
    the name is resolved and checked, TLS and Host still name it; a certificate from another authority fails."""
    server_side, trusting = certificates("orders.example")
    _, stranger = certificates("orders.example")
    resolver = FakeResolver({"orders.example": ("127.0.0.1",)})

    def transport(ssl_context: ssl.SSLContext) -> CallbackTransport:
        backend = PublicAddressBackend(resolver, refusal=lambda address: None)
        return CallbackTransport(backend, ssl_context=ssl_context)

    async def scenario() -> tuple[int, bytes, type[Exception]]:
        receiver = Receiver(lambda n: NO_CONTENT)
        server, port = await serve(receiver, tls=server_side)
        url = f"https://orders.example:{port}/cb"
        async with server, client(transport(trusting)) as http, client(transport(stranger)) as wary:
            status = (await http.post(url, content=b"{}")).status_code
            with pytest.raises(httpx.HTTPError) as refused:
                await wary.post(url, content=b"{}")
        host = next(line for line in receiver.heads[0].split(b"\r\n") if line.lower().startswith(b"host:"))
        return status, host, type(refused.value)

    status, host, refused = run(scenario())

    assert status == 204
    assert host.lower() == b"host: orders.example:" + host.rsplit(b":", 1)[1]
    assert refused is httpx.ConnectError


def test_idle_connections_expire_and_those_of_a_receiver_no_longer_posted_to_are_closed(run: RunOnLoop) -> None:
    async def scenario() -> tuple[int, int, int, int]:
        first, second = Receiver(lambda n: NO_CONTENT), Receiver(lambda n: NO_CONTENT)
        first_server, first_port = await serve(first)
        second_server, second_port = await serve(second)
        transport = CallbackTransport(AsyncioNetworkBackend(), keepalive_expiry_s=0.2)
        async with first_server, second_server, client(transport) as http:
            await http.post(f"http://127.0.0.1:{first_port}/cb", content=b"{}")
            await http.post(f"http://127.0.0.1:{first_port}/cb", content=b"{}")  # kept: the same connection
            await asyncio.sleep(0.3)
            await http.post(f"http://127.0.0.1:{first_port}/cb", content=b"{}")  # expired: closed, a new one
            await until(lambda: first.closed == 1)
            connections_then = len(first.ports)
            await asyncio.sleep(0.3)
            await http.post(f"http://127.0.0.1:{second_port}/cb", content=b"{}")  # prunes the first's, expired
            await until(lambda: first.closed == 2)
        return connections_then, first.closed, len(first.ports), len(second.ports)

    assert run(scenario()) == (2, 2, 2, 1)


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 5 s")


def test_many_posts_at_once_all_arrive(run: RunOnLoop) -> None:
    async def scenario() -> tuple[list[int], int]:
        receiver = Receiver(lambda n: b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        server, port = await serve(receiver)
        async with server, client(CallbackTransport(AsyncioNetworkBackend())) as http:
            url = f"http://127.0.0.1:{port}/cb"
            for _ in range(3):  # rounds: the later ones reuse what the first opened
                answers = await asyncio.gather(*(http.post(url, content=b"{}") for _ in range(20)))
        return [answer.status_code for answer in answers], len(receiver.ports)

    statuses, connections = run(scenario())
    assert statuses == [200] * 20
    assert connections == 20  # one per post in flight, each kept and reused by the later rounds


def test_only_http_and_https(run: RunOnLoop) -> None:
    async def scenario() -> None:
        async with client(CallbackTransport(AsyncioNetworkBackend())) as http:
            with pytest.raises(httpx.UnsupportedProtocol):
                await http.post("ftp://127.0.0.1/cb", content=b"{}")

    run(scenario())
