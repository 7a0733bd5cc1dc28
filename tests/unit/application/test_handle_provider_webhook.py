"""Webhooks: verified first, then recorded and applied in one transaction, exactly once."""

from __future__ import annotations

import pytest

from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.commands.refund_payment import RefundPayment
from application.data.cause import Cause
from application.data.provider_news import EventAction
from application.data.webhook_events import InboxStatus
from application.errors import (
    InvalidSignature,
    MalformedWebhook,
    ProviderError,
    ProviderUnavailable,
    StoreUnavailable,
    UnknownProvider,
)
from domain.payments.status import PaymentStatus, RefundStatus
from domain.shared.money import Money
from tests.unit.fakes import T0, FakeProvider, Harness, harness, webhook

A = EventAction
S = PaymentStatus


async def open_payment(h: Harness, amount: int = 10_000, currency: str = "USD") -> str:
    result = await h.send(CheckoutOrder("order-1", amount, currency))
    return result.payment.id


async def deliver(h: Harness, event_id: str, action: EventAction, payment_id: str | None, **fields: object):
    headers, body = webhook(event_id, action, payment_id, **fields)  # type: ignore[arg-type]
    return await h.send(HandleProviderWebhook("fake", headers, body))


async def test_a_verified_event_is_recorded_and_applied_in_one_go() -> None:
    h = harness()
    pid = await open_payment(h)
    h.clock.advance(minutes=3)

    receipt = await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="USD")

    assert (receipt.duplicate, receipt.status) == (False, "processed")
    assert receipt.id.startswith("whe_")
    assert h.store.payment(pid).status is S.SUCCEEDED
    row = h.store.inbox[receipt.id]
    assert (row.provider, row.event_id, row.event_type) == ("fake", "evt_1", "fake.payment_succeeded")
    assert (row.status, row.reason, row.payment_id, row.processed_at) == (
        InboxStatus.PROCESSED,
        None,
        pid,
        h.clock.now(),
    )
    cause = Cause("webhook", "fake", "evt_1")
    assert (h.store.audit[-1].event, h.store.audit[-1].cause) == ("payment.succeeded", cause)
    assert (h.store.audit[-1].from_status, h.store.audit[-1].to_status) == ("processing", "succeeded")
    assert (h.store.outbox[-1].event, h.store.outbox[-1].cause) == ("payment.succeeded", cause)


async def test_headers_are_kept_lower_cased_without_credentials() -> None:
    h = harness()
    pid = await open_payment(h)
    headers, body = webhook("evt_1", A.PAYMENT_SUCCEEDED, pid)
    headers |= {"Authorization": "Bearer secret", "Cookie": "session=1", "X-Request-ID": "req-1"}

    receipt = await h.send(HandleProviderWebhook("fake", headers, body))

    row = h.store.inbox[receipt.id]
    assert row.headers == {"content-type": "application/json", "x-fake-signature": "ok", "x-request-id": "req-1"}
    assert row.body == body


async def test_a_duplicate_delivery_changes_nothing() -> None:
    h = harness()
    pid = await open_payment(h)
    first = await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid)
    audit, outbox, inbox, commits = list(h.store.audit), list(h.store.outbox), dict(h.store.inbox), h.store.commits

    again = await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid)
    same_id_other_news = await deliver(h, "evt_1", A.PAYMENT_FAILED, pid)

    assert (again.id, again.duplicate, again.status) == (first.id, True, "duplicate")
    assert (same_id_other_news.id, same_id_other_news.duplicate) == (first.id, True)
    assert (h.store.audit, h.store.outbox, h.store.inbox, h.store.commits) == (audit, outbox, inbox, commits)
    assert h.store.payment(pid).status is S.SUCCEEDED


async def test_the_same_event_id_from_another_provider_is_another_event() -> None:
    h = harness(FakeProvider("fake"), FakeProvider("other"))
    pid = await open_payment(h)
    headers, body = webhook("evt_1", A.NONE, pid)
    first = await h.send(HandleProviderWebhook("fake", headers, body))
    second = await h.send(HandleProviderWebhook("other", headers, body))
    assert (first.duplicate, second.duplicate) == (False, False)
    assert first.id != second.id


async def test_another_providers_event_cannot_settle_the_payment() -> None:
    h = harness(FakeProvider("fake"), FakeProvider("other"))
    pid = await open_payment(h)  # routed to "fake", the first enabled provider
    headers, body = webhook("evt_1", A.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="USD")

    receipt = await h.send(HandleProviderWebhook("other", headers, body))

    assert (receipt.duplicate, receipt.status) == (False, "ignored")
    assert h.store.inbox[receipt.id].reason == "event from other about a payment made with fake"
    assert h.store.payment(pid).status is S.PROCESSING


async def test_an_event_for_an_unknown_payment_is_stored_as_failed_for_a_retry() -> None:
    h = harness()

    receipt = await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, "pay_not_yet")

    assert (receipt.duplicate, receipt.status) == (False, "failed")
    row = h.store.inbox[receipt.id]
    assert (row.status, row.reason, row.payment_id) == (
        InboxStatus.FAILED,
        "payment pay_not_yet not found (yet)",
        "pay_not_yet",
    )
    assert (h.store.audit, h.store.outbox) == ([], [])


async def test_an_event_that_would_move_the_payment_backwards_is_ignored_with_the_reason() -> None:
    h = harness()
    pid = await open_payment(h)
    await deliver(h, "evt_paid", A.PAYMENT_SUCCEEDED, pid)
    audit_before = list(h.store.audit)

    receipt = await deliver(h, "evt_late_failure", A.PAYMENT_FAILED, pid, reason="card_declined")

    assert receipt.status == "ignored"
    row = h.store.inbox[receipt.id]
    assert row.status is InboxStatus.IGNORED
    assert row.reason == f"stale or out-of-order event: {pid} cannot move from succeeded to failed"
    payment = h.store.payment(pid)
    assert (payment.status, payment.failure_reason) == (S.SUCCEEDED, None)
    assert h.store.audit == audit_before


async def test_news_the_payment_already_knows_is_ignored() -> None:
    h = harness()
    pid = await open_payment(h)
    await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid)

    receipt = await deliver(h, "evt_2", A.PAYMENT_SUCCEEDED, pid)

    assert receipt.status == "ignored"
    assert h.store.inbox[receipt.id].reason == "no change: the payment has already succeeded"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"amount": 9_999, "currency": "USD"}, "amount 9999 does not match the payment's 10000"),
        ({"amount": 10_000, "currency": "EUR"}, "currency EUR does not match the payment's USD"),
        ({"currency": "EUR"}, "currency EUR does not match the payment's USD"),
    ],
)
async def test_an_event_about_other_money_is_ignored(fields: dict[str, object], reason: str) -> None:
    h = harness()
    pid = await open_payment(h)

    receipt = await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid, **fields)

    assert receipt.status == "ignored"
    assert h.store.inbox[receipt.id].reason == reason
    assert h.store.payment(pid).status is S.PROCESSING


async def test_the_currency_may_come_in_lower_case() -> None:
    h = harness()
    pid = await open_payment(h)
    receipt = await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="usd")
    assert receipt.status == "processed"


async def test_an_event_that_needs_no_action_is_stored_as_ignored() -> None:
    h = harness()
    pid = await open_payment(h)
    audit_before = list(h.store.audit)

    receipt = await deliver(h, "evt_1", A.NONE, pid, event_type="checkout.session.completed")

    row = h.store.inbox[receipt.id]
    assert (row.status, row.reason) == (InboxStatus.IGNORED, "checkout.session.completed needs no action")
    assert h.store.payment(pid).status is S.PROCESSING
    assert h.store.audit == audit_before


async def test_an_event_that_names_no_payment_is_ignored() -> None:
    h = harness()
    receipt = await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, None)
    row = h.store.inbox[receipt.id]
    assert (row.status, row.reason) == (InboxStatus.IGNORED, "the event names no payment of ours")


@pytest.mark.parametrize(
    ("action", "status", "event"),
    [
        (A.PAYMENT_FAILED, S.FAILED, "payment.failed"),
        (A.PAYMENT_EXPIRED, S.EXPIRED, "payment.expired"),
    ],
)
async def test_events_that_end_a_processing_payment(action: EventAction, status: PaymentStatus, event: str) -> None:
    h = harness()
    pid = await open_payment(h)
    receipt = await deliver(h, "evt_1", action, pid, reason="card_declined")
    assert receipt.status == "processed"
    assert h.store.payment(pid).status is status
    assert h.store.events_of(pid)[-1] == event


async def test_a_dispute_event_disputes_a_paid_payment() -> None:
    h = harness()
    pid = await open_payment(h)
    await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid)
    receipt = await deliver(h, "evt_2", A.PAYMENT_DISPUTED, pid, reason="fraudulent")
    assert receipt.status == "processed"
    assert h.store.payment(pid).status is S.DISPUTED
    assert h.store.audit[-1].data == {"reason": "fraudulent"}


async def refunded(h: Harness, amount: int) -> tuple[str, str, str]:
    """A paid payment with one pending refund: (payment id, refund id, provider's refund reference)."""
    pid = await open_payment(h)
    await deliver(h, "evt_paid", A.PAYMENT_SUCCEEDED, pid)
    view = await h.send(RefundPayment(pid, amount))
    assert view.provider_reference is not None
    return pid, view.id, view.provider_reference


async def test_a_refund_succeeded_event_settles_the_refund() -> None:
    h = harness()
    pid, rid, reference = await refunded(h, 2_500)

    receipt = await deliver(h, "evt_r1", A.REFUND_SUCCEEDED, pid, refund_id=reference, amount=2_500, currency="USD")

    assert receipt.status == "processed"
    payment = h.store.payment(pid)
    assert payment.refund(rid).status is RefundStatus.SUCCEEDED
    assert (payment.status, payment.amount_refunded) == (S.PARTIALLY_REFUNDED, Money.of(2_500, "USD"))
    cause = Cause("webhook", "fake", "evt_r1")
    assert [(r.event, r.cause) for r in h.store.audit[-2:]] == [
        ("refund.succeeded", cause),
        ("payment.partially_refunded", cause),
    ]
    assert [r.event for r in h.store.outbox[-2:]] == ["refund.succeeded", "payment.partially_refunded"]


async def test_a_refund_failed_event_releases_the_funds() -> None:
    h = harness()
    pid, rid, _ = await refunded(h, 10_000)

    receipt = await deliver(h, "evt_r1", A.REFUND_FAILED, pid, refund_id=rid, reason="insufficient balance")

    assert receipt.status == "processed"
    payment = h.store.payment(pid)
    refund = payment.refund(rid)
    assert (refund.status, refund.failure_reason) == (RefundStatus.FAILED, "insufficient balance")
    assert (payment.status, payment.refundable) == (S.SUCCEEDED, Money.of(10_000, "USD"))
    assert h.store.events_of(pid)[-1] == "refund.failed"


async def test_a_refund_event_for_another_amount_is_ignored() -> None:
    h = harness()
    pid, rid, _ = await refunded(h, 2_500)
    receipt = await deliver(h, "evt_r1", A.REFUND_SUCCEEDED, pid, refund_id=rid, amount=2_600)
    assert receipt.status == "ignored"
    assert h.store.inbox[receipt.id].reason == f"amount 2600 does not match refund {rid}'s 2500"
    assert h.store.payment(pid).refund(rid).status is RefundStatus.PENDING


@pytest.mark.parametrize("refund_id", ["re_unknown", None])
async def test_a_refund_event_for_a_refund_we_do_not_know_is_failed_for_a_retry(refund_id: str | None) -> None:
    h = harness()
    pid, _, _ = await refunded(h, 2_500)
    receipt = await deliver(h, "evt_r1", A.REFUND_SUCCEEDED, pid, refund_id=refund_id)
    assert receipt.status == "failed"
    assert h.store.inbox[receipt.id].reason.endswith("(yet)")  # type: ignore[union-attr]
    assert h.store.payment(pid).status is S.SUCCEEDED


@pytest.mark.parametrize("signature", [None, "", "wrong", "OK"])
async def test_a_bad_signature_is_refused_and_nothing_is_stored(signature: str | None) -> None:
    h = harness()
    pid = await open_payment(h)
    commits = h.store.commits
    headers, body = webhook("evt_1", A.PAYMENT_SUCCEEDED, pid, signature=signature)

    with pytest.raises(InvalidSignature) as refused:
        await h.send(HandleProviderWebhook("fake", headers, body))

    assert refused.value.provider == "fake"
    assert (h.store.inbox, h.store.commits) == ({}, commits)
    assert h.store.payment(pid).status is S.PROCESSING


async def test_a_signed_body_we_cannot_read_is_refused_and_nothing_is_stored() -> None:
    h = harness()
    with pytest.raises(MalformedWebhook):
        await h.send(HandleProviderWebhook("fake", {"x-fake-signature": "ok"}, b"{not json"))
    assert h.store.inbox == {}


async def test_a_webhook_for_a_provider_that_is_not_enabled_is_unknown_provider() -> None:
    h = harness()
    headers, body = webhook("evt_1", A.NONE, None)
    with pytest.raises(UnknownProvider):
        await h.send(HandleProviderWebhook("stripe", headers, body))
    assert h.store.inbox == {}


async def test_an_unexpected_error_while_applying_never_loses_the_event() -> None:
    h = harness()
    pid = await open_payment(h)
    audit_before = list(h.store.audit)
    h.store.fail_next("payments.save", RuntimeError("bug"))

    receipt = await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid)

    assert (receipt.duplicate, receipt.status) == (False, "failed")
    [row] = h.store.inbox.values()
    assert (row.id, row.event_id, row.status) == (receipt.id, "evt_1", InboxStatus.FAILED)
    assert row.reason == "internal error while applying: RuntimeError"
    assert (row.processed_at, row.received_at) == (T0, T0)
    assert h.store.payment(pid).status is S.PROCESSING  # the half-done change was rolled back
    assert h.store.audit == audit_before
    again = await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid)  # the provider's redelivery: already stored
    assert (again.id, again.duplicate) == (receipt.id, True)


async def test_an_unreachable_store_is_raised_so_the_provider_retries() -> None:
    h = harness()
    pid = await open_payment(h)
    h.store.fail_next("commit", StoreUnavailable("connection refused"))

    with pytest.raises(StoreUnavailable):
        await deliver(h, "evt_1", A.PAYMENT_SUCCEEDED, pid)

    assert h.store.inbox == {}
    assert h.store.payment(pid).status is S.PROCESSING


async def test_an_event_to_confirm_is_stored_then_confirmed_then_applied() -> None:
    h = harness()
    pid = await open_payment(h)
    provider = h.providers.get("fake")
    headers, body = webhook("evt_v", A.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="USD", needs_confirmation=True)

    receipt = await h.send(HandleProviderWebhook("fake", headers, body))
    again = await h.send(HandleProviderWebhook("fake", headers, body))

    assert (receipt.duplicate, receipt.status) == (False, "processed")
    assert (again.duplicate, again.id) == (True, receipt.id)
    assert provider.confirmations == ["evt_v"]  # a redelivery never asks (or captures) twice
    assert h.store.payment(pid).status is S.SUCCEEDED
    assert h.store.inbox[receipt.id].status is InboxStatus.PROCESSED


async def test_the_provider_s_answer_wins_over_what_the_event_claimed() -> None:
    h = harness()
    pid = await open_payment(h)
    h.providers.get("fake").confirmed_action = A.PAYMENT_FAILED  # the charge did not go through after all
    headers, body = webhook("evt_v", A.PAYMENT_SUCCEEDED, pid, needs_confirmation=True)

    receipt = await h.send(HandleProviderWebhook("fake", headers, body))

    assert receipt.status == "processed"
    assert h.store.payment(pid).status is S.FAILED


@pytest.mark.parametrize(
    "error", [ProviderUnavailable("fake", "timed out"), ProviderError("fake", "verify refused", 400)]
)
async def test_an_event_that_cannot_be_confirmed_now_is_kept_as_failed(error: Exception) -> None:
    h = harness()
    pid = await open_payment(h)
    h.providers.get("fake").confirm_error = error
    headers, body = webhook("evt_v", A.PAYMENT_SUCCEEDED, pid, needs_confirmation=True)

    receipt = await h.send(HandleProviderWebhook("fake", headers, body))

    assert (receipt.duplicate, receipt.status) == (False, "failed")
    row = h.store.inbox[receipt.id]
    assert row.status is InboxStatus.FAILED
    assert str(row.reason).startswith("confirmation failed")
    assert h.store.payment(pid).status is S.PROCESSING
