"""The janitor's pull from PayPal: `missed_events` reads PayPal's webhook-events list (every event of the window,
page by page, oldest first, translated like delivered webhooks) and `pulled_event` reads one event again by id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from application.data.provider_news import EventAction
from application.errors import ProviderUnavailable
from infrastructure.providers.paypal import pulled_events
from infrastructure.providers.paypal.adapter import PayPalPaymentProvider
from infrastructure.providers.paypal.events import translate
from tests.integration.providers.paypal.support import checked_out, new_payment
from tests.provider_fakes.paypal import FakePayPal, paypal_time
from tests.unit.fakes import FakeClock

A = EventAction


async def test_an_approval_whose_webhook_never_came_is_listed_and_captured_on_confirm(
    paypal: PayPalPaymentProvider, fake: FakePayPal, clock: FakeClock
) -> None:
    payment = await checked_out(paypal, new_payment(2500))
    approved, _ = fake.webhook("CHECKOUT.ORDER.APPROVED", fake.approve(payment.provider_reference or ""))

    clock.set(datetime.now(UTC))  # the pass runs after the event was made (the fake stamps it in real time)
    [missed] = await paypal.missed_events(clock.now() - timedelta(days=3))

    assert missed.event == translate(approved)  # translated exactly like the webhook's body
    assert json.loads(missed.body) == json.loads(approved)
    assert missed.event.needs_confirmation
    captured = await paypal.confirm(missed.event)
    assert (captured.action, captured.payment_id, captured.amount) == (A.PAYMENT_SUCCEEDED, payment.id, 2500)
    [listed] = fake.calls("list_events")
    assert "start_time=" in listed.path
    assert "end_time=" in listed.path
    assert listed.headers["authorization"].startswith("Bearer ")


async def test_every_page_is_read_and_events_come_oldest_first(
    paypal: PayPalPaymentProvider, fake: FakePayPal, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pulled_events, "PAGE_SIZE", 2)
    payments = [await checked_out(paypal, new_payment(100 * (n + 1))) for n in range(5)]
    made = [fake.webhook("CHECKOUT.ORDER.APPROVED", fake.approve(p.provider_reference or ""))[0] for p in payments]
    fake.keep_event(json.dumps({"id": "WH-UNREADABLE", "create_time": paypal_time()}).encode())  # no event type

    clock.set(datetime.now(UTC))  # the pass runs after the events were made (the fake stamps them in real time)
    missed = await paypal.missed_events(clock.now() - timedelta(days=3))

    assert [m.event.event_id for m in missed] == [json.loads(body)["id"] for body in made]
    assert [m.event.payment_id for m in missed] == [p.id for p in payments]
    assert len(fake.calls("list_events")) == 3


async def test_events_outside_the_window_are_not_listed(
    paypal: PayPalPaymentProvider, fake: FakePayPal, clock: FakeClock
) -> None:
    payment = await checked_out(paypal, new_payment())
    fake.webhook("CHECKOUT.ORDER.APPROVED", fake.approve(payment.provider_reference or ""))
    assert await paypal.missed_events(clock.now() + timedelta(minutes=5)) == []


async def test_one_event_is_read_again_by_its_id(paypal: PayPalPaymentProvider, fake: FakePayPal) -> None:
    payment = await checked_out(paypal, new_payment())
    body, _ = fake.webhook("CHECKOUT.ORDER.APPROVED", fake.approve(payment.provider_reference or ""))
    event_id = json.loads(body)["id"]

    again = await paypal.pulled_event(event_id)

    assert again is not None
    assert again.event == translate(body)
    assert await paypal.pulled_event("WH-NOBODY-KNOWS") is None
    fake.fail("get_event", 503)
    with pytest.raises(ProviderUnavailable):
        await paypal.pulled_event(event_id)


async def test_a_pass_reads_at_most_max_pages_the_newest_first(
    paypal: PayPalPaymentProvider, fake: FakePayPal, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pulled_events, "PAGE_SIZE", 1)
    monkeypatch.setattr(pulled_events, "MAX_PAGES", 2)
    payments = [await checked_out(paypal, new_payment()) for _ in range(3)]
    made = [fake.webhook("CHECKOUT.ORDER.APPROVED", fake.approve(p.provider_reference or ""))[0] for p in payments]

    clock.set(datetime.now(UTC))  # the pass runs after the events were made (the fake stamps them in real time)
    missed = await paypal.missed_events(clock.now() - timedelta(days=3))

    assert [m.event.event_id for m in missed] == [json.loads(body)["id"] for body in made[1:]]  # oldest: lookups
