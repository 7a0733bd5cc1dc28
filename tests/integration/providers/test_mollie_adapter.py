"""The Mollie adapter against a fake Mollie served over HTTP (no mocks): the exact requests, idempotent checkout
and refunds, what a fetched payment and its refunds mean, error mapping, and the fake's own webhook delivery."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import ProviderError, ProviderUnavailable
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import Refund, RefundReason
from domain.payments.status import RefundStatus
from domain.shared.money import Currency, Money
from infrastructure.clock import SystemClock
from infrastructure.ids import SortableIdGenerator
from infrastructure.providers.mollie.adapter import MolliePaymentProvider
from infrastructure.providers.mollie.api import MollieApi
from infrastructure.providers.mollie.config import MollieConfig
from tests.provider_fakes.mollie import API_KEY, WEBHOOK_HEADERS, FakeMollie
from tests.provider_fakes.server import running

TIMEOUT = 0.3
PUBLIC = "https://payments.example"
AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
ids = SortableIdGenerator()


@dataclass
class Env:
    fake: FakeMollie
    url: str
    http: httpx.AsyncClient
    mollie: MolliePaymentProvider


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeMollie, str]]:
    fake = FakeMollie()
    with running(fake) as url:
        yield fake, url


@pytest.fixture
async def env(server: tuple[FakeMollie, str]) -> AsyncIterator[Env]:
    fake, url = server
    fake.reset()
    async with httpx.AsyncClient() as http:
        yield Env(fake, url, http, _mollie(http, url))


def _mollie(http: httpx.AsyncClient, url: str, *keys: str) -> MolliePaymentProvider:
    config = MollieConfig(keys or (API_KEY, "live_SecondKeyOnlyKeptForRotation0"), api_base=url)
    return MolliePaymentProvider(config, PUBLIC, http, SystemClock(), timeout_seconds=TIMEOUT)


def _payment(amount: int = 1999, currency: str = "EUR", order_id: str = "order-1", **details: Any) -> Payment:
    return Payment.initiate(
        ids.new("pay"), order_id, Money.of(amount, currency), "mollie", CheckoutDetails(**details), AT
    )


async def _opened(env: Env, payment: Payment | None = None) -> Payment:
    payment = payment or _payment()
    session = await env.mollie.create_checkout(payment)
    payment.attach_checkout_session(session.provider_reference, session.checkout_url, session.expires_at, AT)
    return payment


async def _paid(env: Env, amount: int = 10_000) -> Payment:
    payment = await _opened(env, _payment(amount))
    env.fake.set_payment_status(payment.provider_reference or "", "paid")
    payment.succeed(AT)
    return payment


def _refund(payment: Payment, amount: int) -> Refund:
    return payment.request_refund(ids.new("re"), amount, RefundReason.REQUESTED_BY_CUSTOMER, None, AT)


def _summary(events: list[ProviderEvent]) -> list[tuple[str, EventAction, int | None, str | None]]:
    return [(e.event_id, e.action, e.amount, e.currency) for e in events]


# ---- checkout ---------------------------------------------------------------------------------------------
async def test_checkout_sends_mollies_create_payment_with_our_ids(env: Env) -> None:
    payment = _payment(
        description="Two books", return_url="https://shop.example/paid", cancel_url="https://shop.example/cart"
    )
    session = await env.mollie.create_checkout(payment)

    [call] = env.fake.calls_to("create_payment")
    assert call.body == {
        "amount": {"currency": "EUR", "value": "19.99"},
        "description": "Two books",
        "redirectUrl": "https://shop.example/paid",
        "webhookUrl": f"{PUBLIC}/api/v1/webhooks/mollie",
        "metadata": {"payment_id": payment.id, "order_id": "order-1"},
        "cancelUrl": "https://shop.example/cart",
    }
    assert call.headers["idempotency-key"] == payment.id
    assert call.headers["authorization"] == f"Bearer {API_KEY}"  # the first configured key
    created = env.fake.payment_for(payment.id)
    assert session.provider_reference == created.id
    assert session.checkout_url == created.as_json(env.url)["_links"]["checkout"]["href"]
    assert session.expires_at == created.expires_at.replace(microsecond=0)


@pytest.mark.parametrize(("amount", "currency", "value"), [(1999, "EUR", "19.99"), (5, "GBP", "0.05"), (1999, "JPY", "1999"), (150_000, "ISK", "150000")])  # fmt: skip
async def test_amounts_are_strings_with_exactly_the_currencys_decimals(
    env: Env, amount: int, currency: str, value: str
) -> None:
    await env.mollie.create_checkout(_payment(amount, currency))
    [call] = env.fake.calls_to("create_payment")
    assert call.body["amount"] == {"currency": currency, "value": value}
    assert isinstance(call.body["amount"]["value"], str)


async def test_a_currency_mollie_does_not_take_is_refused_before_any_call(env: Env) -> None:
    assert not env.mollie.supports(Currency("KWD"))  # Mollie takes no three-decimal currency
    with pytest.raises(ProviderError, match="does not take KWD"):
        await env.mollie.create_checkout(_payment(1999, "KWD"))
    assert env.fake.calls == []


async def test_checkout_without_shop_urls_returns_to_us(env: Env) -> None:
    payment = _payment()
    await env.mollie.create_checkout(payment)
    [call] = env.fake.calls_to("create_payment")
    assert call.body["redirectUrl"] == f"{PUBLIC}/checkout/{payment.id}/complete"
    assert call.body["description"] == "Order order-1"
    assert "cancelUrl" not in call.body


async def test_a_checkout_retried_after_a_lost_answer_gets_the_same_mollie_payment(env: Env) -> None:
    payment = _payment()
    env.fake.delay(TIMEOUT * 2, "create_payment")  # Mollie creates it; its answer comes too late
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await env.mollie.create_checkout(payment)

    session = await env.mollie.create_checkout(payment)

    assert list(env.fake.payments) == [session.provider_reference]  # one Mollie payment, not two
    assert [c.headers["idempotency-key"] for c in env.fake.calls_to("create_payment")] == [payment.id] * 2


async def test_the_same_idempotency_key_for_a_different_request_is_refused(env: Env) -> None:
    payment = _payment(1999)
    await env.mollie.create_checkout(payment)
    changed = Payment.initiate(payment.id, "order-1", Money.of(2999, "EUR"), "mollie", CheckoutDetails(), AT)
    with pytest.raises(ProviderError) as refused:
        await env.mollie.create_checkout(changed)
    assert refused.value.status == 422
    assert "Idempotency-Key" in refused.value.message
    assert len(env.fake.payments) == 1


# ---- refunds ------------------------------------------------------------------------------------------------
async def test_refund_is_one_call_with_our_refund_id_as_key_and_metadata(env: Env) -> None:
    payment = await _paid(env)
    refund = _refund(payment, 2_550)

    answer = await env.mollie.refund(payment, refund)

    [call] = env.fake.calls_to("create_refund")
    assert call.path == f"/v2/payments/{payment.provider_reference}/refunds"
    assert call.headers["idempotency-key"] == refund.id
    assert call.body == {
        "amount": {"currency": "EUR", "value": "25.50"},
        "description": f"Refund {refund.id} of order order-1",
        "metadata": {"refund_id": refund.id, "payment_id": payment.id},
    }
    [created] = env.fake.payments[payment.provider_reference or ""].refunds
    assert (answer.provider_reference, answer.status) == (created.id, RefundStatus.PENDING)
    assert created.id.startswith("re_")


@pytest.mark.parametrize("trouble", ["timeout", "500", "503", "429", "garbled"])
async def test_a_refund_whose_outcome_is_unknown_is_never_resent(env: Env, trouble: str) -> None:
    payment = await _paid(env)
    if trouble == "timeout":
        env.fake.delay(TIMEOUT * 2, "create_refund")
    elif trouble == "garbled":
        env.fake.garble("create_refund")
    else:
        env.fake.fail(int(trouble), "create_refund")

    with pytest.raises(ProviderUnavailable):
        await env.mollie.refund(payment, _refund(payment, 2_500))
    if trouble == "timeout":
        await asyncio.sleep(TIMEOUT * 2)  # the late answer arrives and is dropped; nothing follows it
    assert env.fake.count("create_refund") == 1


async def test_a_refund_mollie_refuses_is_a_provider_error_with_its_detail(env: Env) -> None:
    payment = await _opened(env)  # still open at Mollie
    payment.succeed(AT)
    with pytest.raises(ProviderError) as refused:
        await env.mollie.refund(payment, _refund(payment, 1_000))
    assert refused.value.status == 422
    assert refused.value.message == f"The payment {payment.provider_reference} is open and cannot be refunded"


# ---- events_for: what a fetched payment means -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "action", "reason"),
    [
        ("paid", EventAction.PAYMENT_SUCCEEDED, None),
        ("failed", EventAction.PAYMENT_FAILED, "Mollie reports the payment failed"),
        ("expired", EventAction.PAYMENT_EXPIRED, "Mollie reports the payment expired"),
        ("canceled", EventAction.PAYMENT_FAILED, "canceled by the customer"),
    ],
)
async def test_events_for_a_final_payment(env: Env, status: str, action: EventAction, reason: str | None) -> None:
    payment = await _opened(env)
    tr = payment.provider_reference or ""
    env.fake.set_payment_status(tr, status)

    [event] = await env.mollie.events_for(payment)

    assert (event.provider, event.event_id, event.event_type, event.action) == (
        "mollie",
        f"{tr}:{status}",
        f"payment.{status}",
        action,
    )
    assert (event.payment_id, event.provider_reference, event.amount, event.currency) == (payment.id, tr, 1999, "EUR")
    assert event.reason == reason
    assert event.occurred_at is not None
    assert env.fake.count("get_payment") == 1
    assert env.fake.count("list_refunds") == (1 if status == "paid" else 0)  # only a paid payment has refunds


@pytest.mark.parametrize("status", ["open", "pending", "authorized"])
async def test_events_for_a_payment_that_is_not_final_is_empty(env: Env, status: str) -> None:
    payment = await _opened(env)
    env.fake.set_payment_status(payment.provider_reference or "", status)
    assert await env.mollie.events_for(payment) == []
    assert await env.mollie.lookup_payment(payment) is None


async def test_events_for_refunds_by_their_status_and_ids(env: Env) -> None:
    payment = await _paid(env)
    tr = payment.provider_reference or ""
    ours = _refund(payment, 1_000)
    answer = await env.mollie.refund(payment, ours)
    failed = _refund(payment, 2_000)
    failed_answer = await env.mollie.refund(payment, failed)
    waiting = await env.mollie.refund(payment, _refund(payment, 500))
    foreign = env.fake.add_refund(tr, "3.00", status="canceled")  # made in Mollie's dashboard: no metadata
    env.fake.set_refund_status(answer.provider_reference, "refunded")
    env.fake.set_refund_status(failed_answer.provider_reference, "failed")
    env.fake.set_refund_status(waiting.provider_reference, "processing")

    found = await env.mollie.events_for(payment)

    assert _summary(found) == [
        (f"{tr}:paid", EventAction.PAYMENT_SUCCEEDED, 10_000, "EUR"),
        (f"{answer.provider_reference}:refunded", EventAction.REFUND_SUCCEEDED, 1_000, "EUR"),
        (f"{failed_answer.provider_reference}:failed", EventAction.REFUND_FAILED, 2_000, "EUR"),
        (f"{foreign.id}:canceled", EventAction.REFUND_FAILED, 300, "EUR"),
    ]
    assert [e.refund_id for e in found[1:]] == [ours.id, failed.id, foreign.id]  # ours from metadata, else re_
    assert {e.payment_id for e in found} == {payment.id}
    assert found[2].reason == "Mollie reports the refund failed"


async def test_every_page_of_refunds_is_read(env: Env) -> None:
    payment = await _paid(env, amount=100_000)
    tr = payment.provider_reference or ""
    made = [env.fake.add_refund(tr, "1.00", status="refunded") for _ in range(252)]  # pages of 250
    found = await env.mollie.events_for(payment)
    assert [e.refund_id for e in found[1:]] == [r.id for r in made]
    assert env.fake.count("list_refunds") == 2


async def test_a_payment_whose_metadata_is_not_ours_yields_nothing(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    theirs = await _opened(env)
    env.fake.set_payment_status(theirs.provider_reference or "", "paid")
    impostor = _payment()  # claims Mollie's tr_ of another payment of ours
    impostor.attach_checkout_session(theirs.provider_reference or "", "https://x.example", None, AT)

    with caplog.at_level(logging.WARNING):
        assert await env.mollie.events_for(impostor) == []
        assert await env.mollie.lookup_payment(impostor) is None
    assert f"names payment {theirs.id}, not {impostor.id}" in caplog.text


async def test_nothing_is_fetched_for_a_payment_mollie_never_answered(env: Env) -> None:
    payment = _payment()  # no tr_ stored: the checkout never reached Mollie
    assert await env.mollie.events_for(payment) == []
    assert await env.mollie.lookup_payment(payment) is None
    assert env.fake.calls == []


async def test_amounts_are_never_read_through_floats(env: Env) -> None:
    payment = await _paid(env)
    env.fake.float_amounts = True  # `"value": 100.0`: Mollie never does this; we refuse rather than guess
    with pytest.raises(ProviderUnavailable, match="unreadable"):
        await env.mollie.events_for(payment)


# ---- lookups (janitor), confirm, missed events ---------------------------------------------------------------
async def test_lookups_answer_with_the_same_events_as_a_webhook_fetch(env: Env) -> None:
    payment = await _paid(env)
    refund = _refund(payment, 2_500)
    answer = await env.mollie.refund(payment, refund)
    assert await env.mollie.lookup_refund(payment, refund) is None  # pending

    lost = _refund(payment, 1_000)  # its answer never reached us: found by our id in Mollie's metadata
    await env.mollie.refund(payment, lost)
    for made in env.fake.payments[payment.provider_reference or ""].refunds:
        env.fake.set_refund_status(made.id, "refunded")
    payment.mark_refund_submitted(refund.id, answer.provider_reference, AT)

    by_reference, by_metadata = (
        await env.mollie.lookup_refund(payment, refund),
        await env.mollie.lookup_refund(payment, lost),
    )
    fetched = await env.mollie.events_for(payment)
    looked_up = await env.mollie.lookup_payment(payment)
    assert [looked_up, by_reference, by_metadata] == fetched
    assert by_metadata is not None
    assert by_metadata.refund_id == lost.id


async def test_a_tr_mollie_does_not_know_is_an_error_for_a_fetch_and_nothing_for_the_janitor(env: Env) -> None:
    payment = await _opened(env)  # made with the test key
    live_key = "live_LiveKeyOfTheSameAccount000000"
    env.fake.api_keys.add(live_key)
    live = _mollie(env.http, env.url, live_key)  # a live key never sees test-mode payments
    with pytest.raises(ProviderError) as refused:
        await live.events_for(payment)
    assert (refused.value.status, refused.value.message) == (
        404,
        f"No payment exists with token {payment.provider_reference}.",
    )
    assert await live.lookup_payment(payment) is None
    payment.succeed(AT)
    assert await live.lookup_refund(payment, _refund(payment, 100)) is None


async def test_lookup_of_a_refund_mollie_never_got_is_none(env: Env) -> None:
    payment = await _paid(env)
    assert await env.mollie.lookup_refund(payment, _refund(payment, 2_500)) is None


async def test_confirm_returns_the_event_without_asking_mollie(env: Env) -> None:
    event = ProviderEvent("mollie", "tr_x:paid", "payment.paid", EventAction.PAYMENT_SUCCEEDED)
    assert await env.mollie.confirm(event) is event
    assert env.fake.calls == []  # what Mollie's pulled payments mean: test_mollie_pulled_payments.py


# ---- error mapping ----------------------------------------------------------------------------------------------
async def test_a_wrong_key_is_refused_without_leaking_it(env: Env) -> None:
    mollie = _mollie(env.http, env.url, "test_WrongKeyWrongKeyWrongKey0000")
    with pytest.raises(ProviderError) as refused:
        await mollie.create_checkout(_payment())
    assert (refused.value.status, refused.value.message) == (401, "Missing authentication, or failed to authenticate")
    assert "WrongKey" not in str(refused.value)


async def test_mollies_422_carries_its_detail_and_field(env: Env) -> None:
    api = MollieApi(env.http, env.url, (API_KEY,), TIMEOUT)
    body = {"amount": {"currency": "EUR", "value": "10.0"}, "description": "x", "redirectUrl": "https://x.example"}
    with pytest.raises(ProviderError) as refused:
        await api.create_payment(body, idempotency_key="k1")
    assert refused.value.status == 422
    assert refused.value.message == "The amount contains an invalid value for EUR (field amount.value)"
    body["amount"] = {"currency": "EUR", "value": 10.0}  # a JSON number: never accepted
    with pytest.raises(ProviderError, match=r"field amount\.value"):
        await api.create_payment(body, idempotency_key="k2")


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_server_errors_and_rate_limits_are_unavailability(env: Env, status: int) -> None:
    payment = await _opened(env)
    env.fake.fail(status, "get_payment")
    with pytest.raises(ProviderUnavailable) as caught:
        await env.mollie.events_for(payment)
    assert caught.value.retry_after == (7 if status == 429 else 30)


async def test_a_slow_mollie_is_unavailable(env: Env) -> None:
    payment = await _opened(env)
    env.fake.delay(TIMEOUT * 2, "get_payment")
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await env.mollie.lookup_payment(payment)


async def test_an_unreachable_mollie_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once the socket is closed
    async with httpx.AsyncClient() as http:
        with pytest.raises(ProviderUnavailable, match="ConnectError"):
            await _mollie(http, f"http://127.0.0.1:{port}").create_checkout(_payment())


# ---- the fake's webhook, read by the adapter ------------------------------------------------------------------------
async def test_the_fakes_webhook_is_mollies_form_post_and_names_the_payment(env: Env) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def receiver(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = (await receive()).get("body", b"")
        if scope["path"] != "/__health":
            received.append(({k.decode(): v.decode() for k, v in scope["headers"]}, body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with running(receiver) as url:
        assert env.fake.deliver(f"{url}/api/v1/webhooks/mollie", "tr_5B8cwPMGnU6qLbRvo7qEZo").status_code == 200
    [(headers, body)] = received
    assert body == b"id=tr_5B8cwPMGnU6qLbRvo7qEZo"
    assert headers["content-type"] == WEBHOOK_HEADERS["Content-Type"]
    assert not any("signature" in name for name in headers)
    assert env.mollie.notification_id(body) == "tr_5B8cwPMGnU6qLbRvo7qEZo"
    assert env.fake.calls == []  # reading the webhook asks Mollie nothing
