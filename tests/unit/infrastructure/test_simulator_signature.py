"""The simulator's webhook secrets while they are rotated (PAYMENTS_SIMULATOR_WEBHOOK_SECRET=new,old): what it
sends is signed with the first, and a webhook signed with any of them is accepted."""

from __future__ import annotations

import time

import httpx
import pytest

from application.errors import InvalidSignature
from infrastructure.clock import SystemClock
from infrastructure.providers.signing import sign
from infrastructure.providers.simulator.adapter import SimulatorPaymentProvider

NEW, OLD = "whsec_sim_new_" + "1" * 16, "whsec_sim_old_" + "2" * 16


def simulator(http: httpx.AsyncClient) -> SimulatorPaymentProvider:
    return SimulatorPaymentProvider("http://payments.test", (NEW, OLD), 0, http, SystemClock(), retry_delays=())


def signed(body: bytes, secret: str) -> dict[str, str]:
    return {"Simulator-Signature": sign(secret, body, int(time.time()))}


async def test_a_webhook_signed_with_the_old_secret_is_accepted() -> None:
    async with httpx.AsyncClient() as http:
        rotating = simulator(http)
        body = rotating.payment_event("pay_1", 100, "USD", "succeeded")
        for secret in (NEW, OLD):
            assert rotating.parse_webhook(signed(body, secret), body).payment_id == "pay_1"


async def test_a_webhook_signed_with_neither_secret_is_refused() -> None:
    async with httpx.AsyncClient() as http:
        rotating = simulator(http)
        body = rotating.payment_event("pay_1", 100, "USD", "succeeded")
        with pytest.raises(InvalidSignature, match="no v1 signature matches"):
            rotating.parse_webhook(signed(body, "whsec_sim_neither_" + "3" * 16), body)


async def test_what_the_simulator_sends_is_signed_with_the_first_secret() -> None:
    sent: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:  # stands in for our own webhook route
        sent.append(request)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as http:
        rotating = simulator(http)
        body = rotating.payment_event("pay_1", 100, "USD", "succeeded")
        assert await rotating.deliver(body) == 200
    [request] = sent
    header = request.headers["Simulator-Signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert header == sign(NEW, body, timestamp)
    assert request.content == body
