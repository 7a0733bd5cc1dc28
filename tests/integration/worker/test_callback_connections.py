"""Callbacks reuse their connection when the receiver's answer is short, and never read a long one."""

from __future__ import annotations

from typing import Any

from infrastructure.callbacks.host_resolver import AsyncioHostResolver
from infrastructure.callbacks.http_callback_sender import KEPT_BODY_LIMIT, HttpCallbackSender
from infrastructure.callbacks.public_address_transport import build_callback_client
from tests.provider_fakes.server import running
from tests.unit.fakes import FakeClock

SECRET = "whsec_connections_" + "2" * 24


class CountingReceiver:
    """Answers every POST with `body`, and notes the client port of each (one port: one connection)."""

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status = body, status
        self.ports: list[int] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        if scope["method"] == "POST":
            self.ports.append(scope["client"][1])
        status = self.status if scope["method"] == "POST" else 200  # GET: the health probe of `running`
        headers = [] if status == 204 else [(b"content-length", str(len(self.body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


async def _post_three(receiver: CountingReceiver) -> list[bool]:
    with running(receiver) as base_url:
        async with build_callback_client(AsyncioHostResolver(), allow_private_networks=True) as http:
            sender = HttpCallbackSender(http, SECRET, FakeClock())
            return [(await sender.post(base_url + "/events", b'{"n":1}')).delivered for _ in range(3)]


async def test_a_short_answer_is_read_and_the_next_callback_goes_over_the_same_connection() -> None:
    receiver = CountingReceiver(b'{"ok":true}')
    assert await _post_three(receiver) == [True, True, True]
    assert len(set(receiver.ports)) == 1


async def test_a_long_answer_is_not_read_and_its_connection_is_closed() -> None:
    receiver = CountingReceiver(b"x" * (KEPT_BODY_LIMIT + 1))
    assert await _post_three(receiver) == [True, True, True]
    assert len(set(receiver.ports)) == 3


async def test_a_204_answer_has_no_body_to_read_and_keeps_its_connection() -> None:
    """No Content-Length (a 204 has no body): nothing to read, so the connection is kept all the same."""
    receiver = CountingReceiver(b"", status=204)
    assert await _post_three(receiver) == [True, True, True]
    assert len(set(receiver.ports)) == 1
