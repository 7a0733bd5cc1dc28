"""Checkout: the payment is committed before the provider is called; one live payment per order."""

from __future__ import annotations

import pytest

from application.callback_destinations import CallbackDestinations
from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.data.cause import Cause
from application.data.provider_news import EventAction
from application.errors import (
    CallbackUrlRefused,
    ProviderError,
    ProviderNotEnabled,
    ProviderUnavailable,
    UnsupportedCurrency,
)
from domain.payments.errors import CheckoutConflict, InvalidAmount, OrderAlreadyPaid
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.status import PaymentStatus
from domain.shared.money import Money, UnknownCurrency
from tests.unit.fakes import SESSION_LIFETIME, T0, FakeProvider, FakeResolver, Harness, harness, webhook


async def settle(h: Harness, payment_id: str, action: EventAction, event_id: str = "evt_settle") -> None:
    headers, body = webhook(event_id, action, payment_id)
    await h.send(HandleProviderWebhook("fake", headers, body))


async def test_the_payment_is_committed_before_the_provider_is_called() -> None:
    h = harness()
    seen_in_store: list[Payment | None] = []
    h.provider.on_checkout = lambda p: seen_in_store.append(h.store.payments.get(p.id))

    result = await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    [committed] = seen_in_store
    assert committed is not None
    assert (committed.id, committed.status, committed.checkout_url) == (result.payment.id, "processing", None)
    assert h.provider.checkouts == [result.payment.id]  # our payment id travels to the provider


async def test_checkout_creates_a_payment_and_attaches_the_providers_session() -> None:
    h = harness()
    details = CheckoutDetails(callback_url="https://orders.example/cb", metadata={"cart": "c-9"})

    result = await h.send(CheckoutOrder("order-1", 9_999, "USD", details=details, actor="orders"))

    pay = result.payment
    assert result.created is True
    assert (pay.order_id, pay.amount, pay.currency, pay.status, pay.provider) == (
        "order-1",
        9_999,
        "USD",
        "processing",
        "fake",
    )
    assert pay.id.startswith("pay_")
    assert pay.provider_reference == FakeProvider.session_reference(pay.id)
    assert pay.checkout_url == FakeProvider.checkout_url(pay.id)
    assert pay.expires_at == T0 + SESSION_LIFETIME
    assert (pay.callback_url, pay.metadata) == ("https://orders.example/cb", {"cart": "c-9"})
    stored = h.store.payment(pay.id)
    assert (stored.provider_reference, stored.checkout_url) == (pay.provider_reference, pay.checkout_url)
    assert [(row.event, row.cause) for row in h.store.audit] == [
        ("payment.initiated", Cause("api", "orders")),
        ("payment.checkout_session_created", Cause("api", "orders")),
    ]
    assert [row.event for row in h.store.outbox] == ["payment.initiated", "payment.checkout_session_created"]


async def test_repeating_the_checkout_with_the_same_money_hands_back_the_same_payment() -> None:
    h = harness()
    first = await h.send(CheckoutOrder("order-1", 9_999, "USD"))
    audit_before = list(h.store.audit)

    again = await h.send(CheckoutOrder("order-1", 9_999, "usd"))

    assert again.created is False
    assert again.payment == first.payment
    assert h.provider.checkouts == [first.payment.id]  # the session exists: the provider is not asked again
    assert list(h.store.payments) == [first.payment.id]
    assert h.store.audit == audit_before


async def test_a_provider_refusal_fails_the_payment_and_is_raised() -> None:
    h = harness()
    h.provider.checkout_error = ProviderError("fake", "currency not enabled on the account", status=400)

    with pytest.raises(ProviderError) as refused:
        await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    assert refused.value.message == "currency not enabled on the account"
    [payment] = h.store.payments.values()
    assert payment.status is PaymentStatus.FAILED
    assert payment.failure_reason == "provider refused the checkout: currency not enabled on the account"
    assert h.store.events_of(payment.id) == ["payment.initiated", "payment.failed"]


async def test_a_failed_payment_does_not_block_a_new_checkout() -> None:
    h = harness()
    h.provider.checkout_error = ProviderError("fake", "declined")
    with pytest.raises(ProviderError):
        await h.send(CheckoutOrder("order-1", 9_999, "USD"))
    h.provider.checkout_error = None

    result = await h.send(CheckoutOrder("order-1", 5_000, "EUR"))

    assert result.created is True
    failed, new = h.store.payments.values()
    assert failed.status is PaymentStatus.FAILED
    assert (new.id, new.status, new.amount) == (result.payment.id, PaymentStatus.PROCESSING, Money.of(5_000, "EUR"))
    assert h.provider.checkouts == [failed.id, new.id]


async def test_an_expired_payment_does_not_block_a_new_checkout() -> None:
    h = harness()
    first = await h.send(CheckoutOrder("order-1", 9_999, "USD"))
    await settle(h, first.payment.id, EventAction.PAYMENT_EXPIRED)

    second = await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    assert second.created is True
    assert second.payment.id != first.payment.id
    assert h.store.payment(first.payment.id).status is PaymentStatus.EXPIRED


async def test_an_unavailable_provider_leaves_the_payment_processing_and_a_retry_asks_again() -> None:
    h = harness()
    h.provider.checkout_error = ProviderUnavailable("fake", "timed out")

    with pytest.raises(ProviderUnavailable):
        await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    [payment] = h.store.payments.values()
    assert (payment.status, payment.checkout_url) == (PaymentStatus.PROCESSING, None)
    assert h.store.events_of(payment.id) == ["payment.initiated"]

    h.provider.checkout_error = None
    retry = await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    assert (retry.payment.id, retry.created) == (payment.id, False)
    assert retry.payment.checkout_url == FakeProvider.checkout_url(payment.id)
    assert h.provider.checkouts == [payment.id, payment.id]  # same id: the provider's idempotency key
    assert h.store.events_of(payment.id) == ["payment.initiated", "payment.checkout_session_created"]


@pytest.mark.parametrize(("amount", "currency"), [(10_000, "USD"), (9_999, "EUR")])
async def test_an_open_checkout_for_other_money_is_a_conflict(amount: int, currency: str) -> None:
    h = harness()
    first = await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    with pytest.raises(CheckoutConflict) as conflict:
        await h.send(CheckoutOrder("order-1", amount, currency))

    assert conflict.value.payment_id == first.payment.id
    assert list(h.store.payments) == [first.payment.id]
    assert h.provider.checkouts == [first.payment.id]


@pytest.mark.parametrize("amount", [9_999, 1])
async def test_a_paid_order_refuses_a_new_checkout(amount: int) -> None:
    h = harness()
    first = await h.send(CheckoutOrder("order-1", 9_999, "USD"))
    await settle(h, first.payment.id, EventAction.PAYMENT_SUCCEEDED)

    with pytest.raises(OrderAlreadyPaid) as paid:
        await h.send(CheckoutOrder("order-1", amount, "USD"))

    assert (paid.value.order_id, paid.value.payment_id) == ("order-1", first.payment.id)
    assert list(h.store.payments) == [first.payment.id]


async def test_a_checkout_that_loses_the_race_for_the_order_hands_back_the_winners_payment() -> None:
    h = harness()
    winner = Payment.initiate("pay_winner", "order-1", Money.of(9_999, "USD"), "fake", CheckoutDetails(), T0)
    winner.version = 1
    winner.pull_events()  # its rows were written by the rival's transaction
    # a concurrent checkout commits its payment between our look for a live payment and our insert
    h.store.before_next("payments.add", lambda: h.store.payments.update({winner.id: winner}))

    result = await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    assert (result.payment.id, result.created) == ("pay_winner", False)
    assert list(h.store.payments) == ["pay_winner"]
    assert h.provider.checkouts == ["pay_winner"]  # the winner had no session yet: it is asked for one


async def test_orders_are_independent() -> None:
    h = harness()
    a = await h.send(CheckoutOrder("order-a", 9_999, "USD"))
    b = await h.send(CheckoutOrder("order-b", 9_999, "USD"))
    assert (a.created, b.created) == (True, True)
    assert a.payment.id != b.payment.id


async def test_without_a_preference_the_first_enabled_provider_for_the_currency_is_chosen() -> None:
    h = harness(FakeProvider("usd_only", ("USD",)), FakeProvider("multi", ("USD", "NGN")))

    naira = await h.send(CheckoutOrder("order-1", 500_000, "NGN"))
    dollars = await h.send(CheckoutOrder("order-2", 9_999, "USD"))
    preferred = await h.send(CheckoutOrder("order-3", 9_999, "USD", provider="multi"))

    assert (naira.payment.provider, dollars.payment.provider, preferred.payment.provider) == (
        "multi",
        "usd_only",
        "multi",
    )
    assert h.providers.get("multi").checkouts == [naira.payment.id, preferred.payment.id]


async def test_no_enabled_provider_for_the_currency_is_unsupported_currency() -> None:
    h = harness(FakeProvider("usd_only", ("USD",)))

    with pytest.raises(UnsupportedCurrency) as unsupported:
        await h.send(CheckoutOrder("order-1", 9_999, "EUR"))

    assert unsupported.value.currency == "EUR"
    assert h.store.payments == {}


async def test_a_preferred_provider_that_cannot_take_the_currency_is_unsupported_currency() -> None:
    h = harness(FakeProvider("usd_only", ("USD",)), FakeProvider("eur_only", ("EUR",)))

    with pytest.raises(UnsupportedCurrency):
        await h.send(CheckoutOrder("order-1", 9_999, "EUR", provider="usd_only"))

    assert h.store.payments == {}


async def test_a_preferred_provider_that_is_not_enabled_is_refused() -> None:
    h = harness()

    with pytest.raises(ProviderNotEnabled) as not_enabled:
        await h.send(CheckoutOrder("order-1", 9_999, "USD", provider="stripe"))

    assert (not_enabled.value.provider, not_enabled.value.enabled) == ("stripe", ["fake"])
    assert h.store.payments == {}


@pytest.mark.parametrize(("amount", "currency", "error"), [(0, "USD", InvalidAmount), (-5, "USD", InvalidAmount), (100, "XYZ", UnknownCurrency)])  # fmt: skip
async def test_bad_money_is_refused_before_anything_is_stored(amount: int, currency: str, error: type) -> None:
    h = harness()
    with pytest.raises(error):
        await h.send(CheckoutOrder("order-1", amount, currency))
    assert (h.store.payments, h.store.commits, h.provider.checkouts) == ({}, 0, [])


@pytest.mark.parametrize(
    ("callback_url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data", "the address 169.254.169.254 is not public (link-local)"),
        ("http://[::ffff:10.0.0.5]:8080/cb", "the address ::ffff:a00:5 is not public (private: it carries 10.0.0.5)"),
        ("https://db.internal/cb", "the host db.internal resolves to an address that is not public (private)"),
        ("https://gone.example/cb", "the host gone.example does not resolve"),
    ],
)
async def test_a_callback_url_that_is_not_public_is_refused_before_anything_is_stored(
    callback_url: str, reason: str
) -> None:
    resolver = FakeResolver({"db.internal": ("10.20.30.40",), "orders.example": ("93.184.216.34",)})
    h = harness(callback_destinations=CallbackDestinations(resolver, allow_private_networks=False))

    with pytest.raises(CallbackUrlRefused) as refused:
        await h.send(CheckoutOrder("order-1", 5_000, "USD", details=CheckoutDetails(callback_url=callback_url)))

    assert refused.value.reason == reason
    assert (h.store.payments, h.store.commits, h.provider.checkouts, h.metrics.of("checkout")) == ({}, 0, [], {})
    public = await h.send(
        CheckoutOrder("order-1", 5_000, "USD", details=CheckoutDetails(callback_url="https://orders.example/cb"))
    )
    assert (public.created, public.payment.callback_url) == (True, "https://orders.example/cb")


async def test_a_webhook_that_overtakes_the_session_keeps_its_change_and_the_session_is_still_attached() -> None:
    """The session is attached without a lock while nothing else touched the payment; a change in between (here
    the provider's webhook arriving before its own answer) makes that write a ConcurrentUpdate, and the session
    is then attached under the lock to the payment as it now is."""
    h = harness()

    async def succeed_first(payment: Payment) -> None:
        await settle(h, payment.id, EventAction.PAYMENT_SUCCEEDED)

    h.provider.on_checkout = succeed_first

    result = await h.send(CheckoutOrder("order-1", 9_999, "USD"))

    stored = h.store.payment(result.payment.id)
    assert (stored.status, stored.checkout_url) == (PaymentStatus.SUCCEEDED, FakeProvider.checkout_url(stored.id))
    assert (result.payment.status, result.payment.checkout_url) == ("succeeded", stored.checkout_url)
    assert [row.event for row in h.store.audit] == [
        "payment.initiated",
        "payment.succeeded",
        "payment.checkout_session_created",
    ]
