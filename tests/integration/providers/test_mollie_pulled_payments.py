"""The janitor's pull from Mollie: `missed_events` reads the payment list (newest first, page by page, back to the
window) and yields the final news of our payments as a webhook fetch would; `pulled_event` reads the payment
again and vouches only for the status Mollie still reports."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from application.data.provider_news import EventAction
from application.errors import ProviderUnavailable
from domain.payments.payment import CheckoutDetails, Payment
from domain.shared.money import Money
from infrastructure.clock import SystemClock
from infrastructure.ids import SortableIdGenerator
from infrastructure.providers.mollie import api as mollie_api
from infrastructure.providers.mollie import pulled_payments
from infrastructure.providers.mollie.adapter import MolliePaymentProvider
from infrastructure.providers.mollie.config import MollieConfig
from tests.provider_fakes.mollie import API_KEY, FakeMollie
from tests.provider_fakes.server import running

A = EventAction
ids = SortableIdGenerator()
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeMollie, str]]:
    fake = FakeMollie()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
async def mollie(server: tuple[FakeMollie, str]) -> AsyncIterator[MolliePaymentProvider]:
    server[0].reset()
    async with httpx.AsyncClient() as http:
        yield MolliePaymentProvider(MollieConfig((API_KEY,), server[1]), "https://pay.example", http, SystemClock())


async def opened(mollie: MolliePaymentProvider, amount: int = 1000) -> tuple[Payment, str]:
    payment = Payment.initiate(ids.new("pay"), "order-1", Money.of(amount, "EUR"), "mollie", CheckoutDetails(), NOW)
    session = await mollie.create_checkout(payment)
    return payment, session.provider_reference


async def test_our_payments_final_news_is_listed_oldest_first(
    mollie: MolliePaymentProvider, server: tuple[FakeMollie, str]
) -> None:
    fake = server[0]
    (paid, paid_tr), (failed, failed_tr), (_, open_tr) = [await opened(mollie, 1000 * n) for n in (1, 2, 3)]
    fake.set_payment_status(paid_tr, "paid")
    fake.set_payment_status(failed_tr, "failed")
    strangers = fake.payments[open_tr]
    strangers.metadata, strangers.status = {"order": "another shop's"}, "paid"  # not ours: never listed

    missed = await mollie.missed_events(NOW - timedelta(days=3))

    summary = [(m.event.event_id, m.event.action, m.event.payment_id, m.event.amount) for m in missed]
    assert summary == [
        (f"{paid_tr}:paid", A.PAYMENT_SUCCEEDED, paid.id, 1000),
        (f"{failed_tr}:failed", A.PAYMENT_FAILED, failed.id, 2000),
    ]
    assert json.loads(missed[0].body)["id"] == paid_tr  # kept as Mollie listed it
    assert [call.query for call in fake.calls_to("list_payments")] == [{"limit": "250"}]


async def test_every_page_is_read_until_the_window_ends(
    mollie: MolliePaymentProvider, server: tuple[FakeMollie, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = server[0]
    monkeypatch.setattr(mollie_api, "_PAGE", 2)
    made = [await opened(mollie) for _ in range(5)]
    for _, tr in made:
        fake.set_payment_status(tr, "paid")
    fake.payments[made[0][1]].created_at = NOW - timedelta(days=4)  # older than the window

    missed = await mollie.missed_events(NOW - timedelta(days=3))

    assert [m.event.event_id for m in missed] == [f"{tr}:paid" for _, tr in made[1:]]
    assert [call.query.get("from") for call in fake.calls_to("list_payments")] == [None, made[2][1], made[0][1]]


async def test_a_pulled_event_is_vouched_for_while_mollie_still_says_so(
    mollie: MolliePaymentProvider, server: tuple[FakeMollie, str]
) -> None:
    fake = server[0]
    payment, tr = await opened(mollie)
    fake.set_payment_status(tr, "paid")

    again = await mollie.pulled_event(f"{tr}:paid")

    assert again is not None
    assert (again.event.event_id, again.event.payment_id, again.event.amount) == (f"{tr}:paid", payment.id, 1000)
    assert await mollie.pulled_event(f"{tr}:failed") is None  # Mollie says otherwise now
    assert await mollie.pulled_event("tr_NoSuchPay:paid") is None
    assert await mollie.pulled_event("re_x:refunded") is None  # never pulled: nothing to vouch for
    fake.fail(503, "get_payment")
    with pytest.raises(ProviderUnavailable):
        await mollie.pulled_event(f"{tr}:paid")


async def test_a_pass_reads_at_most_max_pages_the_newest_first(
    mollie: MolliePaymentProvider, server: tuple[FakeMollie, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = server[0]
    monkeypatch.setattr(mollie_api, "_PAGE", 1)
    monkeypatch.setattr(pulled_payments, "MAX_PAGES", 2)
    made = [await opened(mollie) for _ in range(3)]
    for _, tr in made:
        fake.set_payment_status(tr, "paid")

    missed = await mollie.missed_events(NOW - timedelta(days=3))

    assert [m.event.event_id for m in missed] == [f"{tr}:paid" for _, tr in made[1:]]  # the oldest: lookups
