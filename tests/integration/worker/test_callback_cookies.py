"""The callback client keeps no cookies: what one answer sets is not sent with the next callback."""

from __future__ import annotations

from typing import Any

from infrastructure.callbacks.host_resolver import AsyncioHostResolver
from infrastructure.callbacks.http_callback_sender import HttpCallbackSender
from infrastructure.callbacks.public_address_transport import build_callback_client
from tests.provider_fakes.server import running
from tests.unit.fakes import FakeClock

SECRET = "whsec_cookies_" + "3" * 24


class CookieSettingReceiver:
    """Answers every POST 200 with a session cookie for its whole domain, and notes each POST's Cookie header."""

    def __init__(self) -> None:
        self.cookies: list[bytes | None] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        if scope["method"] == "POST":
            self.cookies.append(dict(scope["headers"]).get(b"cookie"))
        headers = [(b"content-length", b"2"), (b"set-cookie", b"session=abc123; Path=/; Max-Age=3600")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})


async def test_a_cookie_a_receiver_sets_is_never_sent_back() -> None:
    receiver = CookieSettingReceiver()
    with running(receiver) as base_url:
        async with build_callback_client(AsyncioHostResolver(), allow_private_networks=True) as http:
            sender = HttpCallbackSender(http, SECRET, FakeClock())
            delivered = [(await sender.post(f"{base_url}/events/{n}", b'{"n":1}')).delivered for n in range(3)]
            kept = len(http.cookies)

    assert delivered == [True, True, True]
    assert receiver.cookies == [None, None, None]
    assert kept == 0
