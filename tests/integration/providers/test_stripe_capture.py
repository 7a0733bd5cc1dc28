"""The Stripe adapter's holds (authorize now, capture later; cancel) against the fake Stripe API over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from application.data.provider_news import EventAction, ProviderCapture, ProviderEvent
from application.errors import CheckoutAlreadyCompleted, ProviderError, ProviderUnavailable
from application.ports.payment_provider import PaymentProvider
from domain.payments.payment import CaptureMode, Payment
from domain.shared.money import Money
from tests.integration.providers.stripe_support import checked_out, make_provider, new_payment
from tests.provider_fakes.server import running
from tests.provider_fakes.stripe import FakeStripe, StripeEvent

A = EventAction


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    with running(fake) as url:
        fake.api_base = url
        yield fake


@pytest.fixture
async def provider(fake: FakeStripe) -> AsyncIterator[PaymentProvider]:
    async with httpx.AsyncClient() as http:
        yield make_provider(fake, fake.api_base, http)


def manual(amount: int = 5000, currency: str = "USD") -> Payment:
    return new_payment(amount, currency, capture=CaptureMode.MANUAL)


def parsed(provider: PaymentProvider, fake: FakeStripe, event: StripeEvent) -> ProviderEvent:
    got = provider.parse_webhook({"Stripe-Signature": fake.signature(event.body)}, event.body)
    assert isinstance(got, ProviderEvent)
    return got


async def authorized(provider: PaymentProvider, fake: FakeStripe, payment: Payment) -> str:
    """Checked out and authorized by the customer, as our payment knows it; returns the PaymentIntent id."""
    session = await checked_out(provider, payment)
    fake.authorize(session.provider_reference)
    payment.authorize(datetime.now(UTC))
    intent_id: str = fake.sessions[session.provider_reference]["payment_intent"]
    return intent_id


# ---- checkout and authorization ------------------------------------------------------------------------------
async def test_a_manual_checkout_asks_stripe_to_hold_the_funds(provider: PaymentProvider, fake: FakeStripe) -> None:
    assert provider.supports_manual_capture
    payment = manual()
    session = await provider.create_checkout(payment)
    [sent] = fake.received("POST", "/v1/checkout/sessions")
    ours = {"payment_id": payment.id, "order_id": "order-1"}
    assert sent.params["payment_intent_data"] == {"metadata": ours, "capture_method": "manual"}
    assert fake.intent_of(session.provider_reference)["capture_method"] == "manual"


async def test_an_unpaid_completion_is_confirmed_as_a_hold_by_its_payment_intent(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    payment = manual()
    session = await checked_out(provider, payment)
    completed, capturable = fake.authorize(session.provider_reference)
    intent = fake.intent_of(session.provider_reference)

    event = parsed(provider, fake, completed)
    assert (event.action, event.needs_confirmation, event.provider_reference) == (A.NONE, True, intent["id"])
    confirmed = await provider.confirm(event)

    capture_before = fake.charges[intent["latest_charge"]]["payment_method_details"]["card"]["capture_before"]
    assert (confirmed.action, confirmed.payment_id, confirmed.amount, confirmed.currency) == (
        A.PAYMENT_AUTHORIZED,
        payment.id,
        5000,
        "USD",
    )
    assert confirmed.hold_until == datetime.fromtimestamp(capture_before, tz=UTC)
    [read] = fake.received("GET", f"/v1/payment_intents/{intent['id']}")
    assert read.params == {"expand": ["latest_charge"]}
    # the PaymentIntent's own event says the same, without asking (the hold's end estimated from its creation)
    direct = parsed(provider, fake, capturable)
    assert (direct.action, direct.payment_id, direct.amount, direct.needs_confirmation) == (
        A.PAYMENT_AUTHORIZED,
        payment.id,
        5000,
        False,
    )
    assert direct.hold_until == datetime.fromtimestamp(intent["created"], tz=UTC) + timedelta(days=7)


async def test_a_delayed_methods_unpaid_completion_stays_no_success(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    session = await checked_out(provider, new_payment())
    [completed] = fake.complete_unpaid(session.provider_reference)
    confirmed = await provider.confirm(parsed(provider, fake, completed))
    assert (confirmed.action, confirmed.needs_confirmation) == (A.NONE, False)
    assert confirmed.reason is not None
    assert "processing" in confirmed.reason


# ---- capture -----------------------------------------------------------------------------------------------------
async def test_a_partial_capture_takes_part_and_releases_the_rest(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = manual()
    intent_id = await authorized(provider, fake, payment)
    requested = payment.request_capture(3000, datetime.now(UTC))

    answer = await provider.capture(payment, requested)

    intent = fake.payment_intents[intent_id]
    assert answer == ProviderCapture(True, intent["latest_charge"])
    assert (intent["status"], intent["amount_received"], intent["amount_capturable"]) == ("succeeded", 3000, 0)
    [sent] = fake.received("POST", f"/v1/payment_intents/{intent_id}/capture")
    assert sent.params == {"amount_to_capture": "3000"}
    assert sent.idempotency_key == f"capture-{payment.capture_key}"
    # asked again (an answer lost in transit): Stripe's stored answer, not a second capture
    assert await provider.capture(payment, requested) == answer
    assert fake.charges[intent["latest_charge"]]["amount_captured"] == 3000
    succeeded = parsed(provider, fake, fake.last_event("payment_intent.succeeded"))
    assert (succeeded.action, succeeded.amount) == (A.PAYMENT_SUCCEEDED, 3000)


async def test_isk_captures_in_stripes_units(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = manual(500, "ISK")
    intent_id = await authorized(provider, fake, payment)
    await provider.capture(payment, Money.of(200, "ISK"))
    [sent] = fake.received("POST", f"/v1/payment_intents/{intent_id}/capture")
    assert sent.params == {"amount_to_capture": "20000"}


async def test_stripe_refusing_a_capture_is_a_provider_error(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = manual()
    await authorized(provider, fake, payment)
    fake.lapse(payment.provider_reference or "")  # Stripe let the hold go before we captured
    with pytest.raises(ProviderError) as refused:
        await provider.capture(payment, Money.of(5000, "USD"))
    assert refused.value.status == 400
    assert "status of canceled" in refused.value.message


async def test_a_capture_whose_answer_is_lost_is_unavailable_and_the_lookup_settles_it(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    payment = manual()
    intent_id = await authorized(provider, fake, payment)
    requested = payment.request_capture(4000, datetime.now(UTC))
    fake.capture_times_out()

    with pytest.raises(ProviderUnavailable):
        await provider.capture(payment, requested)

    assert len(fake.received("POST", f"/v1/payment_intents/{intent_id}/capture")) == 1
    news = await provider.lookup_payment(payment)  # the janitor asks: Stripe did capture
    assert news is not None
    assert (news.action, news.amount, news.payment_id) == (A.PAYMENT_SUCCEEDED, 4000, payment.id)


async def test_a_capture_that_never_reached_stripe_is_looked_up_as_still_held(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    """The janitor concludes from "still held", long after the capture was asked for, that it failed
    (run_janitor.py); then the hold is captured again, under the new reservation's own key."""
    payment = manual()
    await authorized(provider, fake, payment)
    requested = payment.request_capture(4000, datetime.now(UTC) - timedelta(minutes=6))
    payment.version += 1  # what saving the reservation does
    fake.fail_next(503, suffix="/capture")  # refused before Stripe did anything

    with pytest.raises(ProviderUnavailable):
        await provider.capture(payment, requested)

    news = await provider.lookup_payment(payment)
    assert news is not None
    assert (news.action, news.payment_id, news.amount) == (A.PAYMENT_AUTHORIZED, payment.id, 5000)
    assert payment.capture_failed("the capture never reached Stripe", datetime.now(UTC))  # the hold stands
    payment.version += 1
    again = payment.request_capture(4000, datetime.now(UTC))
    payment.version += 1
    assert await provider.capture(payment, again) == ProviderCapture(
        True, fake.intent_of(payment.provider_reference or "")["latest_charge"]
    )
    keys = [r.idempotency_key for r in fake.received("POST", f"/v1/payment_intents/{news.provider_reference}/capture")]
    assert len(set(keys)) == 2


# ---- cancel -----------------------------------------------------------------------------------------------------
async def test_cancelling_an_open_checkout_expires_its_session_safely_twice(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    payment = manual()
    session = await checked_out(provider, payment)

    await provider.cancel(payment)
    await provider.cancel(payment)  # repeated: Stripe's stored answer

    assert fake.sessions[session.provider_reference]["status"] == "expired"
    expiries = fake.received("POST", f"/v1/checkout/sessions/{session.provider_reference}/expire")
    assert [r.idempotency_key for r in expiries] == [f"expire-{payment.id}"] * 2

    other = new_payment()
    other_session = await checked_out(provider, other)
    fake.expire(other_session.provider_reference)  # Stripe expired it first
    await provider.cancel(other)
    assert fake.sessions[other_session.provider_reference]["status"] == "expired"


async def test_a_completed_session_cannot_be_cancelled(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = manual()
    session = await checked_out(provider, payment)
    fake.authorize(session.provider_reference)  # the customer authorized; our webhook is not here yet
    with pytest.raises(CheckoutAlreadyCompleted) as refused:
        await provider.cancel(payment)
    assert "already complete" in refused.value.message
    assert fake.intent_of(session.provider_reference)["status"] == "requires_capture"


async def test_cancelling_a_hold_voids_its_payment_intent_safely_twice(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    payment = manual()
    intent_id = await authorized(provider, fake, payment)

    await provider.cancel(payment)
    await provider.cancel(payment)  # repeated: Stripe's stored answer

    intent = fake.payment_intents[intent_id]
    assert (intent["status"], intent["cancellation_reason"]) == ("canceled", None)
    cancels = fake.received("POST", f"/v1/payment_intents/{intent_id}/cancel")
    assert [r.idempotency_key for r in cancels] == [f"void-{payment.id}"] * 2
    voided = parsed(provider, fake, fake.last_event("payment_intent.canceled"))
    assert (voided.action, voided.payment_id) == (A.PAYMENT_CANCELLED, payment.id)

    lapsed = manual()
    lapsed_intent = await authorized(provider, fake, lapsed)
    fake.lapse(lapsed.provider_reference or "")  # Stripe let it go first
    await provider.cancel(lapsed)  # Stripe refuses to cancel a canceled PaymentIntent: read back, it is done
    assert len(fake.received("POST", f"/v1/payment_intents/{lapsed_intent}/cancel")) == 1
    assert fake.received("GET", f"/v1/payment_intents/{lapsed_intent}")
    assert fake.payment_intents[lapsed_intent]["cancellation_reason"] == "automatic"


async def test_a_captured_hold_cannot_be_voided(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = manual()
    intent_id = await authorized(provider, fake, payment)
    await provider.capture(payment, Money.of(5000, "USD"))
    with pytest.raises(ProviderError) as refused:
        await provider.cancel(payment)
    assert "status of succeeded" in refused.value.message
    assert fake.payment_intents[intent_id]["status"] == "succeeded"


async def test_an_open_checkout_stripe_never_made_has_nothing_to_close(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    await provider.cancel(manual())  # the checkout call timed out before we learned its session
    assert fake.requests == []


# ---- lookups (the janitor) --------------------------------------------------------------------------------------
async def test_lookups_of_a_hold(provider: PaymentProvider, fake: FakeStripe) -> None:
    missed = manual()  # the customer authorized, but no webhook reached us
    session = await checked_out(provider, missed)
    assert await provider.lookup_payment(missed) is None  # open
    fake.authorize(session.provider_reference)
    held = await provider.lookup_payment(missed)
    assert held is not None
    assert (held.action, held.amount, held.payment_id) == (A.PAYMENT_AUTHORIZED, 5000, missed.id)
    capture_before = fake.charges[fake.intent_of(session.provider_reference)["latest_charge"]]
    assert held.hold_until == datetime.fromtimestamp(
        capture_before["payment_method_details"]["card"]["capture_before"], tz=UTC
    )

    lapsed = manual()
    await authorized(provider, fake, lapsed)
    fake.lapse(lapsed.provider_reference or "")
    expired = await provider.lookup_payment(lapsed)
    assert expired is not None
    assert expired.action is A.PAYMENT_EXPIRED

    voided = manual()
    await authorized(provider, fake, voided)
    await provider.cancel(voided)
    cancelled = await provider.lookup_payment(voided)
    assert cancelled is not None
    assert cancelled.action is A.PAYMENT_CANCELLED
