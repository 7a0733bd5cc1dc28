"""The janitor and a checkout whose provider never answered: the session the lost answer described is found
minutes later and attached (the payment then follows that session's expiry), or expired when it is over."""

from __future__ import annotations

import pytest

from application.commands.checkout_order import CheckoutOrder
from application.errors import ProviderError, ProviderUnavailable
from application.worker.run_janitor import RunJanitor
from domain.payments.status import PaymentStatus
from tests.unit.fakes import SESSION_LIFETIME, FakeProvider, Harness, harness


async def unanswered(h: Harness) -> str:
    h.provider.checkout_error = ProviderUnavailable("fake", "checkout timed out after 10 s")
    with pytest.raises(ProviderUnavailable):
        await h.send(CheckoutOrder("order-1", 10_000, "USD"))
    h.provider.checkout_error = None  # the provider made the session; only its answer was lost
    [payment_id] = h.store.payments
    return payment_id


async def test_minutes_after_a_timeout_the_session_is_found_and_attached() -> None:
    h = harness()
    pid = await unanswered(h)

    h.clock.advance(minutes=6)
    report = await h.send(RunJanitor())

    payment = h.store.payment(pid)
    assert report.checked_payments == 1
    assert (payment.status, payment.provider_reference) == (
        PaymentStatus.PROCESSING,
        FakeProvider.session_reference(pid),
    )
    assert payment.expires_at == payment.created_at + SESSION_LIFETIME  # from now on it follows its session
    assert h.store.events_of(pid) == ["payment.initiated", "payment.checkout_session_created"]
    assert [row.cause.source for row in h.store.audit if row.payment_id == pid] == ["api", "worker"]


async def test_a_found_session_that_is_over_expires_the_payment_on_the_same_pass() -> None:
    h = harness()
    pid = await unanswered(h)
    h.provider.checkout_error = ProviderUnavailable("fake", "answered 503")  # still down at the first check
    h.clock.advance(minutes=6)
    assert (await h.send(RunJanitor())).errors

    h.provider.checkout_error = None
    h.clock.advance(hours=2)  # past the session's hour and the grace
    await h.send(RunJanitor())

    assert h.store.payment(pid).status is PaymentStatus.EXPIRED
    assert h.store.events_of(pid)[-2:] == ["payment.checkout_session_created", "payment.expired"]


async def test_a_payment_rerouted_meanwhile_keeps_its_new_provider() -> None:
    first, second = FakeProvider("first"), FakeProvider("second")
    h = harness(first, second)
    first.checkout_error = ProviderUnavailable("first", "checkout timed out after 10 s")
    result = await h.send(CheckoutOrder("order-1", 10_000, "USD"))
    first.checkout_error = None

    h.clock.advance(minutes=6)
    await h.send(RunJanitor())

    payment = h.store.payment(result.payment.id)
    assert (payment.provider, payment.provider_reference) == ("second", FakeProvider.session_reference(payment.id))
    assert first.checkouts == [payment.id]  # the janitor asks only the provider the payment is with


async def test_a_provider_that_refuses_to_hand_the_session_over_does_not_keep_the_payment_open() -> None:
    h = harness()
    pid = await unanswered(h)
    h.provider.checkout_error = ProviderError("fake", "all transaction references are used", 400)

    h.clock.advance(minutes=6)
    assert (await h.send(RunJanitor())).errors == ()
    assert h.store.payment(pid).status is PaymentStatus.PROCESSING

    h.clock.advance(days=1, minutes=11)  # past the day a checkout without a session is given
    await h.send(RunJanitor())
    assert h.store.payment(pid).status is PaymentStatus.EXPIRED
