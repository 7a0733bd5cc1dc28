"""Failover at checkout (application/routing/failover.py): a silent provider moves the checkout on, a refusal or
an explicit preference does not; a repeated checkout re-routes a payment whose provider never answered."""

from __future__ import annotations

import pytest

from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.data.provider_news import EventAction
from application.errors import ProviderError, ProviderUnavailable
from domain.payments.status import PaymentStatus
from tests.unit.fakes import FakeProvider, Harness, harness, webhook

TIMED_OUT = ProviderUnavailable("first", "checkout timed out after 10 s")


def three() -> tuple[Harness, FakeProvider, FakeProvider, FakeProvider]:
    first, second, third = FakeProvider("first"), FakeProvider("second"), FakeProvider("third", ("EUR",))
    return harness(first, second, third), first, second, third


def reroutes(h: Harness, payment_id: str) -> list[tuple[str, str]]:
    return [(r.data["from_provider"], r.data["to_provider"]) for r in h.store.audit if r.event == "payment.rerouted"]


async def test_a_silent_first_provider_is_followed_by_the_next_in_the_same_request() -> None:
    h, first, second, _ = three()
    first.checkout_error = TIMED_OUT

    result = await h.send(CheckoutOrder("order-1", 9_999, "USD", actor="orders"))

    pay = result.payment
    assert (result.created, pay.provider, pay.providers_tried) == (True, "second", ("first", "second"))
    assert pay.checkout_url == FakeProvider.checkout_url(pay.id)
    assert first.checkouts == second.checkouts == [pay.id]
    assert h.store.events_of(pay.id) == [
        "payment.initiated",
        "payment.rerouted",
        "payment.checkout_session_created",
    ]
    [moved] = [r for r in h.store.audit if r.event == "payment.rerouted"]
    assert moved.data["reason"] == "first: checkout timed out after 10 s; re-routed to second"
    assert (moved.cause.source, moved.cause.actor) == ("api", "orders")
    stored = h.store.payment(pay.id)
    assert (stored.provider, stored.providers_tried) == ("second", ("first", "second"))


async def test_only_providers_for_the_currency_are_tried_and_the_last_silence_is_answered() -> None:
    h, first, second, third = three()
    first.checkout_error = second.checkout_error = ProviderUnavailable("x", "answered 503")

    with pytest.raises(ProviderUnavailable):
        await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    [payment] = h.store.payments.values()
    assert (payment.status, payment.provider, payment.providers_tried) == (
        PaymentStatus.PROCESSING,
        "second",
        ("first", "second"),
    )
    assert third.checkouts == []  # EUR only
    assert reroutes(h, payment.id) == [("first", "second")]


async def test_an_explicit_preference_is_never_swapped() -> None:
    h, first, second, _ = three()
    first.checkout_error = TIMED_OUT

    with pytest.raises(ProviderUnavailable):
        await h.send(CheckoutOrder("order-1", 9_999, "USD", provider="first"))

    [payment] = h.store.payments.values()
    assert (payment.provider, payment.providers_tried, second.checkouts) == ("first", ("first",), [])


async def test_a_refusal_is_an_answer_not_a_reason_to_fail_over() -> None:
    h, first, second, _ = three()
    first.checkout_error = ProviderError("first", "invalid email", 400)

    with pytest.raises(ProviderError):
        await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    [payment] = h.store.payments.values()
    assert (payment.status, second.checkouts) == (PaymentStatus.FAILED, [])


async def test_a_repeated_checkout_reroutes_a_payment_its_provider_never_answered() -> None:
    h, first, second, _ = three()
    first.checkout_error = second.checkout_error = TIMED_OUT
    with pytest.raises(ProviderUnavailable):
        await h.send(CheckoutOrder("order-1", 9_999, "USD"))
    [payment] = h.store.payments.values()

    first.checkout_error = None  # "first" is back, "second" still silent; the earlier answer is long overdue
    h.clock.advance(seconds=11)
    retry = await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    assert (retry.payment.id, retry.created, retry.payment.provider) == (payment.id, False, "first")
    assert retry.payment.checkout_url == FakeProvider.checkout_url(payment.id)
    assert reroutes(h, payment.id) == [("first", "second"), ("second", "first")]
    assert second.checkouts == [payment.id]  # the silent one was not asked again


async def test_a_repeat_while_the_first_call_may_still_be_waiting_asks_the_same_provider() -> None:
    h, first, second, _ = three()
    seen: list[str] = []

    async def rival_repeat(_: object) -> None:  # a second request for the order while the first waits
        if not seen:
            seen.append("repeat")
            await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    first.on_checkout = rival_repeat
    result = await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    assert (result.payment.provider, second.checkouts) == ("first", [])
    assert reroutes(h, result.payment.id) == []


async def test_a_repeat_naming_another_provider_moves_the_silent_payment_to_it_once_overdue() -> None:
    h, first, second, _ = three()
    first.checkout_error = TIMED_OUT
    with pytest.raises(ProviderUnavailable):
        await h.send(CheckoutOrder("order-1", 9_999, "USD", provider="first"))
    [payment_id] = h.store.payments

    with pytest.raises(ProviderUnavailable):  # too soon: the first call may still be waiting, so "first" again
        await h.send(CheckoutOrder("order-1", 9_999, "USD", provider="second"))
    assert (first.checkouts, second.checkouts) == ([payment_id, payment_id], [])

    h.clock.advance(seconds=11)
    moved = await h.send(CheckoutOrder("order-1", 9_999, "USD", provider="second"))
    assert (moved.payment.provider, moved.payment.providers_tried) == ("second", ("first", "second"))
    assert reroutes(h, payment_id) == [("first", "second")]


async def test_news_from_a_provider_the_payment_left_is_ignored_and_says_so() -> None:
    h, first, _, _ = three()
    first.checkout_error = TIMED_OUT
    result = await h.send(CheckoutOrder("order-1", 9_999, "USD"))
    headers, body = webhook("evt_late", EventAction.PAYMENT_SUCCEEDED, result.payment.id)

    await h.send(HandleProviderWebhook("first", headers, body))

    row = h.store.inbox_row("first", "evt_late")
    assert row is not None
    assert (row.status, row.reason) == ("ignored", "event from first, which this payment left for second (failover)")
    assert h.store.payment(result.payment.id).status is PaymentStatus.PROCESSING
