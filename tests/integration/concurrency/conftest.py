"""The real composition root on the session's Postgres database: real stores, real simulator adapter."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from application.bus import MessageBus
from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.views import PaymentView
from infrastructure.container import Container, build_container, close_resources
from infrastructure.providers.signing import sign
from infrastructure.providers.simulator.config import SimulatorConfig
from tests.provider_settings import settings_with

SECRET = "whsec_sim_concurrency_tests"


@pytest.fixture
async def container(postgres: str) -> AsyncIterator[Container]:
    # The simulator would settle refunds by POSTing to public_url; a long delay keeps these tests about
    # the database (close_resources cancels the pending settlements).
    settings = settings_with(
        database_url=postgres,
        simulator=SimulatorConfig(webhook_secrets=(SECRET,), settle_delay_seconds=3600),
        db_pool_size=20,
    )
    container = build_container(settings)
    yield container
    await close_resources(container)


@pytest.fixture
def bus(container: Container) -> MessageBus:
    return container.bus()


def simulator_webhook(event_type: str, data: dict[str, object], event_id: str | None = None) -> HandleProviderWebhook:
    """A correctly signed simulator webhook, byte for byte what the simulator itself sends."""
    body = json.dumps(
        {"id": event_id or f"evt_sim_{uuid.uuid4().hex}", "type": event_type, "created": int(time.time()), "data": data}
    ).encode()
    header = sign(SECRET, body, int(time.time()))
    return HandleProviderWebhook("simulator", {"simulator-signature": header, "content-type": "application/json"}, body)


async def paid_payment(bus: MessageBus, order_id: str, amount: int, currency: str = "USD") -> PaymentView:
    result = await bus.send(CheckoutOrder(order_id, amount, currency))
    payment = result.payment
    await bus.send(
        simulator_webhook("payment.succeeded", {"payment_id": payment.id, "amount": amount, "currency": currency})
    )
    return payment
