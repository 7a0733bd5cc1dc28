"""Failover against fake Paystack and Flutterwave servers (both take NGN), through the bus, on SQLite and Postgres:
a Paystack that times out or answers 5xx at checkout is followed by Flutterwave in the same call; an explicit
preference is not swapped; a repeated checkout re-routes a payment Paystack never answered; and the janitor finds
the session a timed-out checkout did create minutes later, not a day later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from dependency_injector import providers

from application.commands.checkout_order import CheckoutOrder
from application.errors import ProviderUnavailable
from application.queries.get_audit_trail import GetAuditTrail
from application.queries.get_payment import GetPayment
from application.queries.list_transactions import ListTransactions
from application.views import PaymentView, TransactionFilter
from application.worker.run_janitor import RunJanitor
from infrastructure.container import Container, build_container, close_resources
from infrastructure.providers.flutterwave.config import FlutterwaveConfig
from infrastructure.providers.paystack.config import PaystackConfig
from tests.integration.db.builders import T0
from tests.provider_fakes import flutterwave, paystack
from tests.provider_fakes.server import running
from tests.provider_settings import settings_with
from tests.unit.fakes import FakeClock

SLOW = 1.25  # seconds: longer than the provider timeout (1 s)
INITIALIZE = "/transaction/initialize"


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[paystack.FakePaystack, str, flutterwave.FakeFlutterwave, str]]:
    ps, fw = paystack.FakePaystack(), flutterwave.FakeFlutterwave()
    with running(ps) as ps_url, running(fw) as fw_url:
        yield ps, ps_url, fw, fw_url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + timedelta(hours=1))


@pytest.fixture
async def container(
    database_url: str, clock: FakeClock, fakes: tuple[paystack.FakePaystack, str, flutterwave.FakeFlutterwave, str]
) -> AsyncIterator[Container]:
    ps, ps_url, fw, fw_url = fakes
    ps.reset()
    fw.reset()
    settings = settings_with(
        database_url=database_url,
        providers=("paystack", "flutterwave"),
        paystack=PaystackConfig(secret_keys=(paystack.SECRET_KEY,), api_base=ps_url),
        flutterwave=FlutterwaveConfig(
            secret_key=flutterwave.SECRET_KEY, secret_hashes=(flutterwave.SECRET_HASH,), api_base=fw_url
        ),
        provider_timeout_seconds=1,
        db_pool_size=2,
    )
    container = build_container(settings)
    container.clock.override(providers.Object(clock))
    yield container
    await close_resources(container)


async def payment_of(container: Container, order_id: str) -> PaymentView:
    page = await container.bus().send(ListTransactions(TransactionFilter(order_id=order_id, kind="payment")))
    [row] = page.data
    return await container.bus().send(GetPayment(row.payment_id))


async def trail(container: Container, payment_id: str) -> list[tuple[str, dict[str, object]]]:
    entries = await container.bus().send(GetAuditTrail(payment_id))
    return [(entry.type, dict(entry.data)) for entry in entries]


@pytest.mark.parametrize("silence", ["timeout", "503"])
async def test_a_silent_paystack_is_followed_by_flutterwave_in_the_same_checkout(
    container: Container, fakes: tuple[paystack.FakePaystack, str, flutterwave.FakeFlutterwave, str], silence: str
) -> None:
    ps, _, fw, _ = fakes
    if silence == "timeout":
        ps.delay(SLOW, path=INITIALIZE)
    else:
        ps.fail(503, path=INITIALIZE)

    result = await container.bus().send(CheckoutOrder("order-fo", 50_000, "NGN"))

    pay = result.payment
    assert (result.created, pay.provider, pay.providers_tried) == (True, "flutterwave", ("paystack", "flutterwave"))
    assert pay.checkout_url is not None
    assert pay.id in fw.checkouts
    stored = await container.bus().send(GetPayment(pay.id))
    assert (stored.provider, stored.providers_tried, stored.checkout_url) == (
        "flutterwave",
        ("paystack", "flutterwave"),
        pay.checkout_url,
    )
    [moved] = [data for kind, data in await trail(container, pay.id) if kind == "payment.rerouted"]
    assert (moved["from_provider"], moved["to_provider"]) == ("paystack", "flutterwave")


async def test_an_explicit_preference_for_a_silent_provider_is_answered_503(
    container: Container, fakes: tuple[paystack.FakePaystack, str, flutterwave.FakeFlutterwave, str]
) -> None:
    ps, _, fw, _ = fakes
    ps.delay(SLOW, path=INITIALIZE)

    with pytest.raises(ProviderUnavailable):
        await container.bus().send(CheckoutOrder("order-pref", 50_000, "NGN", provider="paystack"))

    assert fw.checkouts == {}


async def test_a_repeat_reroutes_what_paystack_never_answered_and_the_janitor_finds_late_sessions(
    container: Container,
    clock: FakeClock,
    fakes: tuple[paystack.FakePaystack, str, flutterwave.FakeFlutterwave, str],
) -> None:
    ps, _, _fw, _ = fakes
    bus = container.bus()
    ps.delay(SLOW, path=INITIALIZE)  # done at Paystack, its answer lost
    with pytest.raises(ProviderUnavailable):
        await bus.send(CheckoutOrder("order-pinned", 50_000, "NGN", provider="paystack"))
    ps.delay(SLOW, path=INITIALIZE, calls=2)  # a second order: Paystack is still slow
    with pytest.raises(ProviderUnavailable):
        await bus.send(CheckoutOrder("order-late", 50_000, "NGN", provider="paystack"))
    ps.reset()
    ps.delay(SLOW, path=INITIALIZE, calls=5)  # still slow, for everyone

    clock.advance(seconds=2)  # the earlier call's answer is overdue
    repeat = await bus.send(CheckoutOrder("order-pinned", 50_000, "NGN"))

    assert (repeat.created, repeat.payment.provider) == (False, "flutterwave")
    assert repeat.payment.providers_tried == ("paystack", "flutterwave")
    assert [kind for kind, _ in await trail(container, repeat.payment.id)] == [
        "payment.initiated",
        "payment.rerouted",
        "payment.checkout_session_created",
    ]

    ps.reset()  # Paystack answers again; "order-late" was left alone by its client
    clock.advance(minutes=6)
    report = await bus.send(RunJanitor())

    assert report.errors == ()
    late = await payment_of(container, "order-late")
    assert (late.status, late.provider) == ("processing", "paystack")
    assert late.checkout_url is not None
    assert late.checkout_url.startswith("https://checkout.paystack.com/")


async def test_concurrent_repeats_reroute_once(
    container: Container, clock: FakeClock, fakes: tuple[paystack.FakePaystack, str, flutterwave.FakeFlutterwave, str]
) -> None:
    ps, _, fw, _ = fakes
    bus = container.bus()
    ps.delay(SLOW, path=INITIALIZE)
    with pytest.raises(ProviderUnavailable):
        await bus.send(CheckoutOrder("order-race", 50_000, "NGN", provider="paystack"))
    clock.advance(seconds=2)

    repeats = await asyncio.gather(*(bus.send(CheckoutOrder("order-race", 50_000, "NGN")) for _ in range(4)))

    assert {(r.payment.id, r.payment.provider, r.created) for r in repeats} == {
        (repeats[0].payment.id, "flutterwave", False)
    }
    kinds = [kind for kind, _ in await trail(container, repeats[0].payment.id)]
    assert kinds.count("payment.rerouted") == 1
    assert (await payment_of(container, "order-race")).providers_tried == ("paystack", "flutterwave")
    assert list(fw.checkouts) == [repeats[0].payment.id]
