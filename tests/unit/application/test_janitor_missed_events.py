"""The janitor pulls back events the provider failed to deliver and pushes them through the webhook inbox."""

from __future__ import annotations

from application.commands.checkout_order import CheckoutOrder
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.data.cause import Cause
from application.data.provider_news import EventAction
from application.data.webhook_events import InboxStatus
from application.errors import ProviderUnavailable
from application.worker.janitor_schedule import MISSED_EVENTS_WINDOW, PULLED_HEADERS
from application.worker.run_janitor import RunJanitor
from domain.payments.status import PaymentStatus
from tests.unit.fakes import Harness, harness, webhook

S = PaymentStatus


async def open_payment(h: Harness, order_id: str = "order-1") -> str:
    return (await h.send(CheckoutOrder(order_id, 10_000, "USD"))).payment.id


async def test_a_missed_success_settles_a_stuck_payment_once_like_a_webhook() -> None:
    h = harness()
    pid = await open_payment(h)
    _, body = webhook("evt_missed_1", EventAction.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="USD")
    h.provider.missed = [h.provider.missed_event(body)]
    h.clock.advance(minutes=1)  # before the first lookup is due: only the pull can settle it

    report = await h.send(RunJanitor())

    assert h.provider.missed_since == [h.clock.now() - MISSED_EVENTS_WINDOW]
    assert h.store.payment(pid).status is S.SUCCEEDED
    assert (report.pulled_events, report.new_events, report.checked, report.errors) == (1, 1, 0, ())
    row = h.store.inbox_row("fake", "evt_missed_1")
    assert row is not None
    assert (row.status, row.body, row.headers, row.payment_id) == (InboxStatus.PROCESSED, body, PULLED_HEADERS, pid)
    audit = h.store.audit[-1]
    assert (audit.event, audit.cause) == ("payment.succeeded", Cause("webhook", "fake", "evt_missed_1"))
    assert h.store.outbox[-1].event == "payment.succeeded"

    audit_rows, outbox, inbox = list(h.store.audit), list(h.store.outbox), dict(h.store.inbox)
    again = await h.send(RunJanitor())  # still listed by the provider: a duplicate, nothing changes

    assert (again.pulled_events, again.new_events, again.errors) == (1, 0, ())
    assert (h.store.audit, h.store.outbox, h.store.inbox) == (audit_rows, outbox, inbox)


async def test_a_missed_event_we_already_received_is_a_duplicate() -> None:
    h = harness()
    pid = await open_payment(h)
    headers, body = webhook("evt_1", EventAction.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="USD")
    assert not (await h.send(HandleProviderWebhook("fake", headers, body))).duplicate
    # Stripe may list an event as undelivered that did reach us (our answer was lost on the way back)
    h.provider.missed = [h.provider.missed_event(body)]
    audit_rows, inbox = list(h.store.audit), dict(h.store.inbox)

    report = await h.send(RunJanitor())

    assert (report.pulled_events, report.new_events) == (1, 0)
    assert (h.store.audit, h.store.inbox) == (audit_rows, inbox)
    assert h.store.payment(pid).status is S.SUCCEEDED


async def test_a_missed_event_that_needs_confirmation_is_confirmed_first() -> None:
    h = harness()
    pid = await open_payment(h)
    _, body = webhook(
        "evt_c", EventAction.PAYMENT_SUCCEEDED, pid, amount=10_000, currency="USD", needs_confirmation=True
    )
    h.provider.missed = [h.provider.missed_event(body)]
    h.provider.confirmed_action = EventAction.PAYMENT_FAILED  # the provider's word wins over the event's

    await h.send(RunJanitor())

    assert h.provider.confirmations == ["evt_c"]
    assert h.store.payment(pid).status is S.FAILED


async def test_a_provider_that_cannot_list_missed_events_is_reported_and_the_pass_goes_on() -> None:
    h = harness()
    pid = await open_payment(h)
    h.provider.missed = ProviderUnavailable("fake", "down")
    h.clock.advance(minutes=6)

    report = await h.send(RunJanitor())

    [error] = report.errors
    assert (error.payment_id, error.refund_id) == ("", None)
    assert "fake: missed events" in error.error
    assert (report.pulled_events, report.checked_payments, report.rescheduled) == (0, 1, 1)
    assert h.store.payment(pid).status is S.PROCESSING
