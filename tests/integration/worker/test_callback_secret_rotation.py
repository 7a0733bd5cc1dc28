"""Our own signing secret while it is rotated (`PAYMENTS_CALLBACK_SECRET=new,old`): every order callback carries
one `v1` per configured secret, the new one's first, so an order system holding only the old secret or only the
new one verifies it with the receiver recipe in README.md (`signing.verify`, any `v1` against its secret), and one
holding neither refuses it. From the variable, through the composition root, to a real local receiver."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from application.errors import InvalidSignature
from infrastructure.callbacks.http_callback_sender import SIGNATURE_HEADER, HttpCallbackSender
from infrastructure.container import build_container
from infrastructure.providers.signing import signature, verify
from infrastructure.settings import SettingsError, load_settings
from interfaces.log_redaction import configured_secrets
from tests.provider_fakes.server import running

NEW = "cbsec_new_" + "Q7x9Lm2Rt5Vb8Nc1Zp4Kd6Hs3Jf0Wg"
OLD = "cbsec_old_" + "A1b2C3d4E5f6G7h8J9k0L1m2N3p4Q5"
UNKNOWN = "cbsec_unknown_" + "Z9y8X7w6V5u4T3s2R1q0P9o8"


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = 200  # the health probe of `running`
        if scope["path"] != "/__health":
            self.requests.append(({k.decode().lower(): v.decode() for k, v in scope["headers"]}, body))
            status = 204
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def rotating_sender() -> AsyncIterator[HttpCallbackSender]:
    settings = load_settings(
        {"PAYMENTS_CALLBACK_SECRET": f" {NEW} , {OLD} ", "PAYMENTS_DATABASE_URL": "sqlite+aiosqlite:///:memory:"},
        env_file=None,
    )
    assert (settings.callback_secret, settings.callback_previous_secrets) == (NEW, (OLD,))
    assert {NEW, OLD} <= set(configured_secrets(settings))  # both kept out of every log line
    container = build_container(settings)
    sender = container.callback_sender()
    assert isinstance(sender, HttpCallbackSender)
    yield sender
    await container.http_client().aclose()


async def test_a_callback_verifies_with_the_new_secret_and_with_the_old_one(
    rotating_sender: HttpCallbackSender,
) -> None:
    receiver = Receiver()
    body = b'{"id": "ntf_1", "type": "payment.succeeded", "data": {}}'
    with running(receiver) as url:
        result = await rotating_sender.post(url + "/payment-events", body)
    assert result.status_code == 204

    [(headers, received)] = receiver.requests
    header, now = headers[SIGNATURE_HEADER.lower()], int(time.time())
    timestamp = int(header.split(",")[0].removeprefix("t="))
    # the new secret's signature first, then the old one's: nothing else
    assert header.split(",")[1:] == [
        f"v1={signature(NEW, received, timestamp)}",
        f"v1={signature(OLD, received, timestamp)}",
    ]
    for holds in (NEW, OLD):
        verify(header, received, [holds], now, provider="orders")
    with pytest.raises(InvalidSignature):
        verify(header, received, [UNKNOWN], now, provider="orders")


def test_one_secret_signs_once() -> None:
    settings = load_settings({"PAYMENTS_CALLBACK_SECRET": NEW}, env_file=None)
    assert (settings.callback_secret, settings.callback_previous_secrets) == (NEW, ())


def test_production_refuses_a_weak_old_secret_too() -> None:
    environ = {
        "PAYMENTS_ENV": "production",
        "PAYMENTS_CALLBACK_SECRET": f"{NEW},weak",
        "PAYMENTS_PUBLIC_URL": "https://payments.example.com",
    }
    with pytest.raises(SettingsError) as refused:
        load_settings(environ, env_file=None)
    weak = "PAYMENTS_CALLBACK_SECRET is too weak for production: use at least 32 random characters"
    assert weak in refused.value.problems
