"""The janitor's pull from Paystack: `missed_events` reads the transaction list (newest first, page by page,
from the window's start) and yields our final transactions' news under the keys a webhook or lookup would use;
`pulled_event` reads the transaction again and vouches only for the status Paystack still reports."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from application.data.provider_news import EventAction
from application.errors import ProviderUnavailable
from application.ports.payment_provider import PaymentProvider
from domain.payments.payment import CheckoutDetails, Payment
from domain.shared.money import Money
from infrastructure.ids import SortableIdGenerator
from infrastructure.providers.paystack import pulled_transactions
from infrastructure.providers.paystack.config import PaystackConfig
from infrastructure.providers.paystack.events import translate
from infrastructure.providers.paystack.wiring import build
from tests.provider_fakes.paystack import SECRET_KEY, FakePaystack
from tests.provider_fakes.server import running
from tests.provider_settings import provider_context

A = EventAction
ids = SortableIdGenerator()
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakePaystack, str]]:
    fake = FakePaystack()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
async def paystack(server: tuple[FakePaystack, str]) -> AsyncIterator[PaymentProvider]:
    server[0].reset()
    async with httpx.AsyncClient() as http:
        config = PaystackConfig(secret_keys=(SECRET_KEY,), api_base=server[1])
        yield build(config, provider_context(http, timeout_seconds=2))


async def opened(paystack: PaymentProvider, amount: int = 5_000) -> tuple[Payment, str]:
    payment = Payment.initiate(ids.new("pay"), "order-1", Money.of(amount, "NGN"), "paystack", CheckoutDetails(), NOW)
    return payment, (await paystack.create_checkout(payment)).provider_reference


async def test_our_final_transactions_are_listed_oldest_first_under_their_webhook_keys(
    paystack: PaymentProvider, server: tuple[FakePaystack, str]
) -> None:
    fake = server[0]
    (paid, paid_ref), (failed, failed_ref), _abandoned = [await opened(paystack, 1000 * n) for n in (1, 2, 3)]
    fake.pay(paid_ref)
    fake.pay(failed_ref, status="failed")

    missed = await paystack.missed_events(NOW - timedelta(days=3))

    paid_id, failed_id = fake.transactions[paid_ref].id, fake.transactions[failed_ref].id
    summary = [(m.event.event_id, m.event.action, m.event.payment_id, m.event.amount) for m in missed]
    assert summary == [
        (f"charge.success:{paid_id}:success", A.PAYMENT_SUCCEEDED, paid.id, 1000),
        (f"transaction.verify:{failed_id}:failed", A.PAYMENT_FAILED, failed.id, 2000),
    ]
    # the same key as the charge.success webhook: a payment settled by its webhook is a duplicate in the inbox
    assert missed[0].event.event_id == translate(fake.charge_success(paid_ref)).event_id
    assert not missed[0].event.needs_confirmation  # Paystack's own list: nothing left to verify
    assert json.loads(missed[0].body)["reference"] == paid_ref
    [listed] = fake.calls_to("GET", "/transaction")
    assert listed.query["from"] == (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def test_every_page_is_read(
    paystack: PaymentProvider, server: tuple[FakePaystack, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = server[0]
    monkeypatch.setattr(pulled_transactions, "PER_PAGE", 2)
    made = [await opened(paystack) for _ in range(4)]
    for _, reference in made:
        fake.pay(reference)

    missed = await paystack.missed_events(NOW - timedelta(days=3))

    assert sorted(m.event.payment_id or "" for m in missed) == sorted(p.id for p, _ in made)
    assert [c.query["page"] for c in fake.calls_to("GET", "/transaction") if c.path == "/transaction"] == [
        "1",
        "2",
        "3",
    ]


async def test_a_pulled_event_is_vouched_for_while_paystack_still_says_so(
    paystack: PaymentProvider, server: tuple[FakePaystack, str]
) -> None:
    fake = server[0]
    payment, reference = await opened(paystack)
    transaction = fake.pay(reference)
    event_id = f"charge.success:{transaction.id}:success"

    again = await paystack.pulled_event(event_id)

    assert again is not None
    assert (again.event.event_id, again.event.payment_id, again.event.amount) == (event_id, payment.id, 5_000)
    assert await paystack.pulled_event(f"transaction.verify:{transaction.id}:failed") is None
    assert await paystack.pulled_event("charge.success:999999999:success") is None
    assert await paystack.pulled_event("refund.processed:TRF_1:processed") is None
    fake.fail(503, path="/transaction/")
    with pytest.raises(ProviderUnavailable):
        await paystack.pulled_event(event_id)


async def test_a_pass_reads_at_most_max_pages_the_newest_first(
    paystack: PaymentProvider, server: tuple[FakePaystack, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = server[0]
    monkeypatch.setattr(pulled_transactions, "PER_PAGE", 1)
    monkeypatch.setattr(pulled_transactions, "MAX_PAGES", 2)
    made = [await opened(paystack) for _ in range(3)]
    for n, (_, reference) in enumerate(made):
        fake.pay(reference).created_at = f"2099-01-01T00:00:0{n}.000Z"  # in this order

    missed = await paystack.missed_events(NOW - timedelta(days=3))

    assert [m.event.payment_id for m in missed] == [made[1][0].id, made[2][0].id]  # the oldest is left to lookups
