"""The simulator adapter against a real local HTTP receiver standing in for our webhook endpoint (no mocks)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from application.data.provider_news import EventAction
from application.errors import InvalidSignature, MalformedWebhook, ProviderUnavailable
from domain.payments.payment import CaptureMode, CheckoutDetails, Payment
from domain.payments.refund import RefundReason
from domain.payments.status import RefundStatus
from domain.shared.money import Money
from infrastructure.clock import SystemClock
from infrastructure.providers.signing import sign
from infrastructure.providers.simulator.adapter import SimulatorPaymentProvider
from tests.unit.fakes import FakeClock

SECRET = "whsec_sim_test"


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A minimal HTTP/1.1 server: records each request and answers the next scripted status (then 200)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    deliveries: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        status = self.statuses.pop(0) if self.statuses else 200
        await self.deliveries.put(Delivery(request_line.split(" ")[1], headers, body))
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}"
    async with server:
        yield receiver


@pytest.fixture
async def simulator(receiver: Receiver) -> AsyncIterator[SimulatorPaymentProvider]:
    async with httpx.AsyncClient(timeout=5) as http:
        simulator = SimulatorPaymentProvider(
            receiver.url, (SECRET,), 0.05, http=http, clock=SystemClock(), retry_delays=(0.05, 0.05)
        )
        yield simulator
        await simulator.aclose()


def _paid_payment(amount: int = 5000, currency: str = "USD") -> Payment:
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    payment = Payment.initiate("pay_01TEST", "order-1", Money.of(amount, currency), "simulator", CheckoutDetails(), at)
    payment.succeed(at)
    return payment


async def _next(receiver: Receiver) -> Delivery:
    return await asyncio.wait_for(receiver.deliveries.get(), timeout=5)


# ---- checkout ---------------------------------------------------------------------------------------------
async def test_checkout_session_is_deterministic(simulator: SimulatorPaymentProvider, receiver: Receiver) -> None:
    payment = _paid_payment()
    first = await simulator.create_checkout(payment)
    again = await simulator.create_checkout(payment)
    assert first == again
    assert first.provider_reference == "sim_cs_pay_01TEST"
    assert first.checkout_url == f"{receiver.url}/simulator/checkout/pay_01TEST"
    assert first.expires_at == payment.created_at + timedelta(hours=1)


# ---- parse_webhook on real signed bodies --------------------------------------------------------------------
def _signed(body: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = int(datetime.now(UTC).timestamp()) if at is None else at
    return {"Simulator-Signature": sign(secret, body, timestamp), "Content-Type": "application/json"}


@pytest.mark.parametrize(("outcome", "action"), [("succeeded", "payment_succeeded"), ("failed", "payment_failed")])
async def test_payment_event_round_trip(simulator: SimulatorPaymentProvider, outcome: str, action: str) -> None:
    body = simulator.payment_event("pay_01TEST", 1999, "JPY", "succeeded" if outcome == "succeeded" else "failed")
    event = simulator.parse_webhook(_signed(body), body)
    assert event.provider == "simulator"
    assert event.action == EventAction(action)
    assert event.event_type == f"payment.{outcome}"
    assert event.event_id.startswith("evt_sim_")
    assert (event.payment_id, event.amount, event.currency) == ("pay_01TEST", 1999, "JPY")
    assert (event.reason is None) == (outcome == "succeeded")


async def test_each_press_is_a_distinct_event(simulator: SimulatorPaymentProvider) -> None:
    first = json.loads(simulator.payment_event("pay_1", 100, "USD", "succeeded"))
    second = json.loads(simulator.payment_event("pay_1", 100, "USD", "succeeded"))
    assert first["id"] != second["id"]


async def test_headers_are_case_insensitive(simulator: SimulatorPaymentProvider) -> None:
    body = simulator.payment_event("pay_1", 100, "USD", "succeeded")
    headers = {"SIMULATOR-SIGNATURE": _signed(body)["Simulator-Signature"]}
    assert simulator.parse_webhook(headers, body).payment_id == "pay_1"


async def test_bad_signatures_are_rejected(simulator: SimulatorPaymentProvider) -> None:
    body = simulator.payment_event("pay_1", 100, "USD", "succeeded")
    with pytest.raises(InvalidSignature, match="missing"):
        simulator.parse_webhook({}, body)
    with pytest.raises(InvalidSignature, match="no v1 signature matches"):
        simulator.parse_webhook(_signed(body, secret="whsec_wrong"), body)
    with pytest.raises(InvalidSignature, match="old"):
        simulator.parse_webhook(_signed(body, at=int(datetime.now(UTC).timestamp()) - 600), body)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"id": "evt_1", "type": "payment.succeeded", "created": 1}',  # no data
        b'{"id": "evt_1", "type": "payment.succeeded", "created": 1, "data": {"payment_id": "p", "amount": 1.5, "currency": "USD"}}',
        b'{"id": "evt_1", "type": "payment.succeeded", "created": 1, "data": {"payment_id": "p", "amount": true, "currency": "USD"}}',
        b'{"id": "evt_1", "type": "refund.succeeded", "created": 1, "data": {"payment_id": "p", "amount": 1, "currency": "USD"}}',
    ],
)
async def test_signed_but_unreadable_body_is_malformed(simulator: SimulatorPaymentProvider, body: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        simulator.parse_webhook(_signed(body), body)


async def test_unknown_event_type_is_kept_but_not_acted_on(simulator: SimulatorPaymentProvider) -> None:
    body = b'{"id": "evt_1", "type": "payment.pondered", "created": 1, "data": {"payment_id": "p", "amount": 1, "currency": "USD"}}'
    assert simulator.parse_webhook(_signed(body), body).action is EventAction.NONE


# ---- delivery over HTTP -------------------------------------------------------------------------------------
async def test_deliver_signs_and_posts_to_our_webhook_url(
    simulator: SimulatorPaymentProvider, receiver: Receiver
) -> None:
    body = simulator.payment_event("pay_01TEST", 5000, "USD", "failed")
    assert await simulator.deliver(body) == 200
    delivery = await _next(receiver)
    assert delivery.path == "/api/v1/webhooks/simulator"
    assert delivery.body == body
    assert delivery.headers["content-type"] == "application/json"
    assert simulator.parse_webhook(delivery.headers, delivery.body).action is EventAction.PAYMENT_FAILED


async def test_deliver_retries_5xx_then_reports_the_last_status(
    simulator: SimulatorPaymentProvider, receiver: Receiver
) -> None:
    receiver.statuses = [503, 502]
    assert await simulator.deliver(simulator.payment_event("pay_1", 1, "USD", "succeeded")) == 200
    assert receiver.deliveries.qsize() == 3
    receiver.statuses = [500, 500, 500]
    assert await simulator.deliver(simulator.payment_event("pay_1", 1, "USD", "succeeded")) == 500
    receiver.statuses = [400]  # a refusal is an answer, not a reason to retry
    assert await simulator.deliver(simulator.payment_event("pay_1", 1, "USD", "succeeded")) == 400
    assert receiver.deliveries.qsize() == 7


async def test_deliver_to_nowhere_is_provider_unavailable() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()  # the port is now free: nobody listens there
    async with httpx.AsyncClient(timeout=2) as http:
        simulator = SimulatorPaymentProvider(
            f"http://127.0.0.1:{port}", (SECRET,), 0, http, SystemClock(), retry_delays=(0.01,)
        )
        with pytest.raises(ProviderUnavailable):
            await simulator.deliver(simulator.payment_event("pay_1", 1, "USD", "succeeded"))


# ---- refunds settle by webhook ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("note", "event_type", "action"),
    [
        (None, "refund.succeeded", EventAction.REFUND_SUCCEEDED),
        ("please", "refund.succeeded", EventAction.REFUND_SUCCEEDED),
        ("simulate:fail", "refund.failed", EventAction.REFUND_FAILED),
    ],
)
async def test_refund_is_pending_then_settled_by_a_signed_webhook(
    simulator: SimulatorPaymentProvider, receiver: Receiver, note: str | None, event_type: str, action: EventAction
) -> None:
    payment = _paid_payment()
    refund = payment.request_refund("re_01TEST", 2000, RefundReason.REQUESTED_BY_CUSTOMER, note, payment.updated_at)

    answer = await simulator.refund(payment, refund)
    assert answer.status is RefundStatus.PENDING
    assert answer.provider_reference == "sim_re_re_01TEST"
    assert receiver.deliveries.empty()  # "shortly after", not during the call

    delivery = await _next(receiver)
    assert delivery.path == "/api/v1/webhooks/simulator"
    wire = json.loads(delivery.body)
    assert wire["type"] == event_type
    assert wire["id"].startswith("evt_sim_")
    assert isinstance(wire["created"], int)
    assert {k: wire["data"][k] for k in ("payment_id", "refund_id", "amount", "currency")} == {
        "payment_id": "pay_01TEST",
        "refund_id": "re_01TEST",
        "amount": 2000,
        "currency": "USD",
    }
    event = simulator.parse_webhook(delivery.headers, delivery.body)  # verifies the real signature
    assert event.action is action
    assert (event.refund_id, event.amount) == ("re_01TEST", 2000)
    assert ("simulate:fail" in (event.reason or "")) == (action is EventAction.REFUND_FAILED)


async def test_refund_settlement_retries_a_5xx(simulator: SimulatorPaymentProvider, receiver: Receiver) -> None:
    receiver.statuses = [503]
    payment = _paid_payment()
    refund = payment.request_refund("re_01RETRY", 100, RefundReason.OTHER, None, payment.updated_at)
    await simulator.refund(payment, refund)
    first, second = await _next(receiver), await _next(receiver)
    assert first.body == second.body  # the same event, so the receiver can dedupe it


async def test_aclose_cancels_pending_settlements(receiver: Receiver) -> None:
    async with httpx.AsyncClient() as http:
        simulator = SimulatorPaymentProvider(receiver.url, (SECRET,), 30, http, SystemClock())
        payment = _paid_payment()
        refund = payment.request_refund("re_01LATER", 100, RefundReason.OTHER, None, payment.updated_at)
        await simulator.refund(payment, refund)
        await simulator.aclose()
    await asyncio.sleep(0.05)
    assert receiver.deliveries.empty()


# ---- lookups: what the janitor asks ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("note", "action"), [(None, EventAction.REFUND_SUCCEEDED), ("simulate:fail", EventAction.REFUND_FAILED)]
)
async def test_a_refund_lookup_answers_what_its_webhook_says_once_its_delay_has_passed(
    receiver: Receiver, note: str | None, action: EventAction
) -> None:
    clock = FakeClock(datetime(2025, 1, 2, 3, 5, tzinfo=UTC))
    async with httpx.AsyncClient() as http:
        simulator = SimulatorPaymentProvider(receiver.url, (SECRET,), 30, http, clock, retry_delays=(0.01,))
        payment = _paid_payment()
        refund = payment.request_refund("re_01LOOKUP", 700, RefundReason.OTHER, note, clock.now())
        await simulator.refund(payment, refund)
        await simulator.aclose()  # a shutdown before the settlement webhook left: nothing is sent

        assert await simulator.lookup_refund(payment, refund) is None  # still pending, as at a real provider
        clock.advance(seconds=29)
        assert await simulator.lookup_refund(payment, refund) is None
        clock.advance(seconds=1)
        answer = await simulator.lookup_refund(payment, refund)

    assert receiver.deliveries.empty()
    assert answer is not None
    assert (answer.action, answer.event_id, answer.payment_id, answer.refund_id) == (
        action,
        "evt_sim_re_01LOOKUP",  # the settlement webhook's id: a late delivery of it is a duplicate
        payment.id,
        refund.id,
    )
    assert (answer.amount, answer.currency, answer.occurred_at) == (700, "USD", clock.now())


async def test_a_payment_lookup_has_nothing_final_to_say(simulator: SimulatorPaymentProvider) -> None:
    # the page's press delivers its webhook before answering: an unpaid payment is left for the janitor to expire
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    unpaid = Payment.initiate("pay_01UNPAID", "order-2", Money.of(100, "USD"), "simulator", CheckoutDetails(), at)
    assert await simulator.lookup_payment(unpaid) is None


# ---- authorize now, capture later ----------------------------------------------------------------------------
def _held_payment(clock: FakeClock, amount: int = 9000) -> Payment:
    at = clock.now()
    payment = Payment.initiate(
        "pay_01HELD", "order-3", Money.of(amount, "USD"), "simulator", CheckoutDetails(), at, CaptureMode.MANUAL
    )
    payment.authorize(at)
    return payment


async def test_the_authorize_press_is_an_authorization_held_for_seven_days(simulator: SimulatorPaymentProvider) -> None:
    assert simulator.supports_manual_capture
    body = simulator.payment_event("pay_01HELD", 9000, "USD", "authorized")
    event = simulator.parse_webhook(_signed(body), body)
    assert (event.action, event.event_type, event.amount) == (
        EventAction.PAYMENT_AUTHORIZED,
        "payment.authorized",
        9000,
    )
    assert event.occurred_at is not None
    assert event.hold_until == event.occurred_at + timedelta(days=7)


async def test_a_capture_with_no_settle_delay_is_confirmed_in_the_call(receiver: Receiver) -> None:
    clock = FakeClock(datetime(2025, 1, 2, 3, 5, tzinfo=UTC))
    async with httpx.AsyncClient() as http:
        simulator = SimulatorPaymentProvider(receiver.url, (SECRET,), 0, http, clock)
        payment = _held_payment(clock)
        answer = await simulator.capture(payment, payment.request_capture(6000, clock.now()))
    assert (answer.succeeded, answer.provider_reference) == (True, "sim_cap_pay_01HELD")
    assert receiver.deliveries.empty()  # nothing to tell later: the call said it


async def test_a_capture_is_pending_then_settled_by_a_signed_webhook_of_the_captured_amount(
    simulator: SimulatorPaymentProvider, receiver: Receiver
) -> None:
    payment = _held_payment(FakeClock(datetime.now(UTC)))
    requested = payment.request_capture(6000, payment.updated_at)

    first = await simulator.capture(payment, requested)
    again = await simulator.capture(payment, requested)  # asked twice before it settled: one settlement

    assert (first.succeeded, again.succeeded) == (False, False)
    delivery = await _next(receiver)
    event = simulator.parse_webhook(delivery.headers, delivery.body)
    assert (event.action, event.event_id, event.payment_id, event.amount) == (
        EventAction.PAYMENT_SUCCEEDED,
        "evt_sim_capture_pay_01HELD",
        "pay_01HELD",
        6000,
    )
    await asyncio.sleep(0.2)
    assert receiver.deliveries.empty()


async def test_a_capture_lookup_answers_what_its_webhook_says_once_its_delay_has_passed(receiver: Receiver) -> None:
    clock = FakeClock(datetime(2025, 1, 2, 3, 5, tzinfo=UTC))
    async with httpx.AsyncClient() as http:
        simulator = SimulatorPaymentProvider(receiver.url, (SECRET,), 30, http, clock, retry_delays=(0.01,))
        payment = _held_payment(clock)
        assert await simulator.lookup_payment(payment) is None  # held, no capture asked: nothing final
        await simulator.capture(payment, payment.request_capture(None, clock.now()))
        await simulator.aclose()  # the settlement webhook is lost with a shutdown

        clock.advance(seconds=29)
        assert await simulator.lookup_payment(payment) is None
        clock.advance(seconds=1)
        answer = await simulator.lookup_payment(payment)

    assert receiver.deliveries.empty()
    assert answer is not None
    assert (answer.action, answer.event_id, answer.amount, answer.occurred_at) == (
        EventAction.PAYMENT_SUCCEEDED,
        "evt_sim_capture_pay_01HELD",  # the webhook's id: a late delivery of it is a duplicate
        9000,
        clock.now(),
    )
