"""The Stripe adapter (official SDK, async HTTPX) against the fake Stripe API over real HTTP on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from application.data.provider_news import EventAction
from application.errors import ProviderError, ProviderUnavailable
from application.ports.payment_provider import PaymentProvider
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import Refund, RefundReason
from domain.payments.status import RefundStatus
from infrastructure.providers.stripe import adapter as stripe_adapter
from tests.integration.providers.stripe_support import DETAILS, PUBLIC_URL, checked_out, make_provider, new_payment
from tests.provider_fakes.server import running
from tests.provider_fakes.stripe import FakeStripe


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def fake_url(fake: FakeStripe) -> Iterator[str]:
    with running(fake) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def provider(fake: FakeStripe, fake_url: str, http: httpx.AsyncClient) -> PaymentProvider:
    return make_provider(fake, fake_url, http)


async def paid(provider: PaymentProvider, fake: FakeStripe, payment: Payment) -> None:
    session = await checked_out(provider, payment)
    fake.pay(session.provider_reference)
    payment.succeed(datetime.now(UTC))


def refund_of(payment: Payment, amount: int, reason: RefundReason = RefundReason.REQUESTED_BY_CUSTOMER) -> Refund:
    return payment.request_refund(f"re_ours_{len(payment.refunds)}", amount, reason, None, datetime.now(UTC))


# ---- checkout ---------------------------------------------------------------------------------------------
async def test_checkout_sends_what_stripe_needs_with_our_idempotency_key(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    payment = new_payment()
    session = await provider.create_checkout(payment)

    [sent] = fake.received("POST", "/v1/checkout/sessions")
    assert sent.idempotency_key == f"checkout-{payment.id}"
    assert sent.headers["authorization"] == f"Bearer {fake.secret_key}"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    p = sent.params
    assert (p["mode"], p["success_url"], p["cancel_url"]) == ("payment", DETAILS.return_url, DETAILS.cancel_url)
    assert p["line_items"] == [
        {
            "quantity": "1",
            "price_data": {"currency": "usd", "unit_amount": "5000", "product_data": {"name": "Two books"}},
        }
    ]
    assert p["client_reference_id"] == payment.id
    assert p["metadata"] == {"payment_id": payment.id, "order_id": "order-1"}
    assert p["payment_intent_data"] == {"metadata": {"payment_id": payment.id, "order_id": "order-1"}}
    assert p["customer_email"] == "ada@example.com"
    assert int(p["expires_at"]) == int((payment.created_at + timedelta(hours=1)).timestamp())

    stored = fake.sessions[session.provider_reference]
    assert session.provider_reference.startswith("cs_test_")
    assert session.checkout_url == stored["url"]
    assert session.expires_at == datetime.fromtimestamp(stored["expires_at"], tz=UTC)


async def test_checkout_falls_back_to_our_urls_and_the_order_name(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = new_payment(details=CheckoutDetails())
    await provider.create_checkout(payment)
    p = fake.received("POST", "/v1/checkout/sessions")[0].params
    assert p["success_url"].startswith(f"{PUBLIC_URL}/")
    assert p["cancel_url"].startswith(f"{PUBLIC_URL}/")
    assert p["line_items"][0]["price_data"]["product_data"]["name"] == "Order order-1"
    assert "customer_email" not in p


async def test_a_repeated_checkout_returns_the_same_session(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = new_payment()
    first = await provider.create_checkout(payment)
    again = await provider.create_checkout(payment)
    assert again == first
    assert len(fake.sessions) == 1
    assert [r.idempotency_key for r in fake.received("POST", "/v1/checkout/sessions")] == [f"checkout-{payment.id}"] * 2


async def test_amounts_are_sent_in_stripes_units(provider: PaymentProvider, fake: FakeStripe) -> None:
    await provider.create_checkout(new_payment(1000, "JPY"))
    await provider.create_checkout(new_payment(500, "ISK"))  # 500 krónur: Stripe keeps ISK two-decimal
    amounts = [r.params["line_items"][0]["price_data"] for r in fake.received("POST", "/v1/checkout/sessions")]
    assert [(a["currency"], a["unit_amount"]) for a in amounts] == [("jpy", "1000"), ("isk", "50000")]


# ---- refunds ----------------------------------------------------------------------------------------------
async def test_refund_names_the_payment_intent_and_carries_our_ids(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = new_payment()
    await paid(provider, fake, payment)
    refund = refund_of(payment, 1500)

    answer = await provider.refund(payment, refund)

    assert answer.status is RefundStatus.PENDING
    assert answer.provider_reference in fake.refunds
    [sent] = fake.received("POST", "/v1/refunds")
    session = fake.sessions[payment.provider_reference or ""]
    assert sent.idempotency_key == f"refund-{refund.id}"
    assert sent.params == {
        "payment_intent": session["payment_intent"],
        "amount": "1500",
        "reason": "requested_by_customer",
        "metadata": {"refund_id": refund.id, "payment_id": payment.id},
    }
    again = await provider.refund(payment, refund)  # the same key: Stripe answers with the same refund
    assert again.provider_reference == answer.provider_reference
    assert len(fake.refunds) == 1


async def test_reason_other_is_not_sent(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = new_payment()
    await paid(provider, fake, payment)
    await provider.refund(payment, refund_of(payment, 100, RefundReason.OTHER))
    assert "reason" not in fake.received("POST", "/v1/refunds")[0].params


async def test_refunding_an_unpaid_session_is_a_provider_error(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = new_payment()
    await checked_out(provider, payment)
    payment.succeed(datetime.now(UTC))  # we believe it paid; Stripe knows better
    with pytest.raises(ProviderError) as refused:
        await provider.refund(payment, refund_of(payment, 100))
    assert refused.value.status == 400
    assert "does not have a successful charge" in refused.value.message


# ---- errors -------------------------------------------------------------------------------------------------
async def test_a_4xx_is_a_provider_error_with_stripes_message(provider: PaymentProvider, fake: FakeStripe) -> None:
    fake.fail_next(400, "Invalid currency: usd for this account.", code="parameter_invalid")
    with pytest.raises(ProviderError) as refused:
        await provider.create_checkout(new_payment())
    assert (refused.value.provider, refused.value.status) == ("stripe", 400)
    assert refused.value.message == "Invalid currency: usd for this account."


async def test_a_wrong_key_is_a_provider_error_that_never_shows_the_key(
    fake: FakeStripe, fake_url: str, http: httpx.AsyncClient
) -> None:
    wrong = "sk_test_wrong_" + "9" * 30
    provider = make_provider(fake, fake_url, http, secret_key=wrong)
    with pytest.raises(ProviderError) as refused:
        await provider.create_checkout(new_payment())
    assert refused.value.status == 401
    assert "Invalid API Key provided" in refused.value.message
    assert wrong not in str(refused.value)
    assert wrong not in refused.value.message


async def test_a_message_echoing_our_key_is_scrubbed(provider: PaymentProvider, fake: FakeStripe) -> None:
    fake.fail_next(403, f"The key {fake.secret_key} may not do this")
    with pytest.raises(ProviderError) as refused:
        await provider.create_checkout(new_payment())
    assert fake.secret_key not in str(refused.value)
    assert "[redacted]" in refused.value.message


@pytest.mark.parametrize("status", [500, 502, 503, 429, 409])
async def test_5xx_429_and_409_mean_unavailable(provider: PaymentProvider, fake: FakeStripe, status: int) -> None:
    fake.fail_next(status)
    with pytest.raises(ProviderUnavailable) as unavailable:
        await provider.create_checkout(new_payment())
    assert unavailable.value.provider == "stripe"
    assert len(fake.received("POST", "/v1/checkout/sessions")) == 1  # no retry by the SDK


async def test_a_slow_answer_is_unavailable_and_the_retry_gets_the_same_session(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    payment = new_payment()
    fake.slow_next(2.0)
    with pytest.raises(ProviderUnavailable):
        await provider.create_checkout(payment)
    session = await provider.create_checkout(payment)
    assert list(fake.sessions) == [session.provider_reference]  # made once, during the call that timed out
    keys = {r.idempotency_key for r in fake.received("POST", "/v1/checkout/sessions")}
    assert keys == {f"checkout-{payment.id}"}


async def test_an_unreachable_stripe_is_unavailable(fake: FakeStripe, http: httpx.AsyncClient) -> None:
    provider = make_provider(fake, "http://127.0.0.1:9", http)
    with pytest.raises(ProviderUnavailable):
        await provider.create_checkout(new_payment())


# ---- lookups and confirmation ---------------------------------------------------------------------------
async def test_lookup_payment_reports_paid_and_expired_sessions(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = new_payment()
    assert await provider.lookup_payment(payment) is None  # no session yet
    session = await checked_out(provider, payment)
    assert await provider.lookup_payment(payment) is None  # open
    fake.pay(session.provider_reference)
    news = await provider.lookup_payment(payment)
    assert news is not None
    assert (news.action, news.payment_id, news.amount, news.currency) == (
        EventAction.PAYMENT_SUCCEEDED,
        payment.id,
        5000,
        "USD",
    )
    assert news == await provider.lookup_payment(payment)  # the same news twice: the same event id

    expiring = new_payment()
    expired_session = await checked_out(provider, expiring)
    fake.expire(expired_session.provider_reference)
    expired = await provider.lookup_payment(expiring)
    assert expired is not None
    assert expired.action is EventAction.PAYMENT_EXPIRED


async def test_lookup_refund_by_reference_and_by_our_metadata(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = new_payment()
    await paid(provider, fake, payment)
    refund = refund_of(payment, 1500)
    answer = await provider.refund(payment, refund)
    assert await provider.lookup_refund(payment, refund) is None  # pending, and we do not know its id yet

    fake.settle_refund(answer.provider_reference)
    by_metadata = await provider.lookup_refund(payment, refund)  # the call "timed out": no reference stored
    assert by_metadata is not None
    assert (by_metadata.action, by_metadata.refund_id, by_metadata.amount) == (
        EventAction.REFUND_SUCCEEDED,
        refund.id,
        1500,
    )

    payment.mark_refund_submitted(refund.id, answer.provider_reference, datetime.now(UTC))
    by_reference = await provider.lookup_refund(payment, refund)
    assert by_reference is not None
    assert (by_reference.action, by_reference.provider_reference) == (
        EventAction.REFUND_SUCCEEDED,
        answer.provider_reference,
    )
    assert fake.received("GET", f"/v1/refunds/{answer.provider_reference}")

    never_sent = refund_of(payment, 100)
    assert await provider.lookup_refund(payment, never_sent) is None


async def test_a_dispute_is_confirmed_through_the_payment_intents_metadata(
    provider: PaymentProvider, fake: FakeStripe
) -> None:
    payment = new_payment()
    await paid(provider, fake, payment)
    event = fake.dispute(payment.provider_reference or "")
    parsed = provider.parse_webhook({"Stripe-Signature": fake.signature(event.body)}, event.body)
    assert parsed.needs_confirmation
    assert parsed.payment_id is None

    confirmed = await provider.confirm(parsed)
    assert (confirmed.action, confirmed.payment_id, confirmed.needs_confirmation) == (
        EventAction.PAYMENT_DISPUTED,
        payment.id,
        False,
    )

    intent_id = fake.sessions[payment.provider_reference or ""]["payment_intent"]
    fake.payment_intents[intent_id]["metadata"] = {}  # a charge made elsewhere, not through our checkout
    foreign = await provider.confirm(parsed)
    assert (foreign.action, foreign.payment_id) == (EventAction.NONE, None)


async def test_confirm_leaves_other_events_as_they_are(provider: PaymentProvider, fake: FakeStripe) -> None:
    payment = new_payment()
    session = await checked_out(provider, payment)
    completed, _ = fake.pay(session.provider_reference)
    parsed = provider.parse_webhook({"Stripe-Signature": fake.signature(completed.body)}, completed.body)
    assert await provider.confirm(parsed) == parsed
    assert not fake.received("GET", f"/v1/checkout/sessions/{session.provider_reference}")


# ---- undelivered events --------------------------------------------------------------------------------------
async def test_missed_events_pages_through_undelivered_events_and_translates_them_like_webhooks(
    provider: PaymentProvider, fake: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe_adapter, "EVENTS_PAGE", 2)
    first, second = new_payment(), new_payment(7000)
    first_session, second_session = await checked_out(provider, first), await checked_out(provider, second)
    completed, _intent_succeeded = fake.pay(first_session.provider_reference)  # delivered: not listed
    failed = fake.failed_attempt(second_session.provider_reference)
    [_second_completed, second_intent] = fake.pay(second_session.provider_reference)
    expired = fake.expire(second_session.provider_reference)
    old = fake.event("checkout.session.expired", fake.sessions[first_session.provider_reference], created=1)
    unknown = fake.event("customer.created", {"id": "cus_1", "object": "customer"})
    fake.undelivered(completed, failed, second_intent, expired, old, unknown)
    since = datetime.now(UTC) - timedelta(days=3)

    missed = await provider.missed_events(since)

    assert [m.event.event_id for m in missed] == [completed.id, failed.id, second_intent.id, expired.id, unknown.id]
    for pulled, sent in zip(missed, (completed, failed, second_intent, expired, unknown), strict=True):
        as_webhook = provider.parse_webhook({"Stripe-Signature": fake.signature(sent.body)}, sent.body)
        assert pulled.event == as_webhook  # the same translation as a delivered webhook
        assert json.loads(pulled.body) == json.loads(sent.body)
    assert (missed[0].event.action, missed[0].event.payment_id) == (EventAction.PAYMENT_SUCCEEDED, first.id)
    assert missed[-1].event.action is EventAction.NONE
    listed = fake.received("GET", "/v1/events")
    assert len(listed) == 3  # 5 events, pages of 2
    assert listed[0].params == {
        "delivery_success": "false",
        "created": {"gte": str(int(since.timestamp()))},
        "limit": "2",
    }
    assert [r.params.get("starting_after") for r in listed] == [None, expired.id, failed.id]
    assert listed[0].headers["authorization"] == f"Bearer {fake.secret_key}"


async def test_no_missed_events_is_one_call(provider: PaymentProvider, fake: FakeStripe) -> None:
    assert await provider.missed_events(datetime.now(UTC) - timedelta(days=3)) == []
    assert len(fake.received("GET", "/v1/events")) == 1


async def test_missed_events_when_stripe_is_down_is_unavailable(provider: PaymentProvider, fake: FakeStripe) -> None:
    fake.fail_next(503, path="/v1/events")
    with pytest.raises(ProviderUnavailable):
        await provider.missed_events(datetime.now(UTC) - timedelta(days=3))
