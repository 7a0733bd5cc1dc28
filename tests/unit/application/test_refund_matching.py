"""Refund events that name the transaction, not the refund (Paystack's): matched to our pending refund by payment
and amount through `apply_event`, the one translation every webhook, retry and lookup goes through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.data.provider_news import EventAction, ProviderEvent
from application.data.webhook_events import InboxStatus
from application.webhooks.effects import apply_event
from domain.payments.payment import CheckoutDetails, Payment
from domain.payments.refund import RefundReason
from domain.payments.status import PaymentStatus, RefundStatus
from domain.shared.money import Money

T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
A, RS = EventAction, RefundStatus


def paid_with_refunds(*refunds: tuple[str, int, str | None]) -> Payment:
    """A paid 10 000 NGN payment with pending refunds (id, amount, provider reference), one minute apart."""
    payment = Payment.initiate("pay_1", "order-1", Money.of(10_000, "NGN"), "paystack", CheckoutDetails(), T0)
    payment.succeed(T0)
    for n, (refund_id, amount, reference) in enumerate(refunds):
        at = T0 + timedelta(minutes=n + 1)
        payment.request_refund(refund_id, amount, RefundReason.REQUESTED_BY_CUSTOMER, None, at)
        if reference is not None:
            payment.mark_refund_submitted(refund_id, reference, at)
    payment.pull_events()
    return payment


def refund_news(action: EventAction = A.REFUND_SUCCEEDED, amount: int = 2_500, **fields: object) -> ProviderEvent:
    values: dict[str, object] = {"currency": "NGN", "refund_by_amount": True, **fields}
    return ProviderEvent(
        "paystack", f"refund:{amount}:{action}", "refund.processed", action, "pay_1", amount=amount, **values
    )  # type: ignore[arg-type]


def statuses(payment: Payment) -> dict[str, RefundStatus]:
    return {refund.id: refund.status for refund in payment.refunds}


AT = T0 + timedelta(hours=1)


def test_two_pending_refunds_of_different_amounts_each_settle_by_their_amount() -> None:
    payment = paid_with_refunds(("re_a", 2_500, "901"), ("re_b", 4_000, None))

    assert apply_event(payment, refund_news(amount=4_000), AT).status is InboxStatus.PROCESSED
    assert statuses(payment) == {"re_a": RS.PENDING, "re_b": RS.SUCCEEDED}
    assert apply_event(payment, refund_news(A.REFUND_FAILED, amount=2_500), AT).status is InboxStatus.PROCESSED
    assert statuses(payment) == {"re_a": RS.FAILED, "re_b": RS.SUCCEEDED}
    assert (payment.status, payment.amount_refunded.amount) == (PaymentStatus.PARTIALLY_REFUNDED, 4_000)


def test_the_oldest_pending_refund_of_the_amount_settles_first_and_never_twice() -> None:
    payment = paid_with_refunds(("re_a", 2_500, None), ("re_b", 2_500, None))

    apply_event(payment, refund_news(), AT)
    assert statuses(payment) == {"re_a": RS.SUCCEEDED, "re_b": RS.PENDING}
    apply_event(payment, refund_news(), AT)  # the second refund's own news: the one left
    assert statuses(payment) == {"re_a": RS.SUCCEEDED, "re_b": RS.SUCCEEDED}
    late = apply_event(payment, refund_news(A.REFUND_FAILED), AT)  # late news of a settled one: no harm done
    assert (late.status, payment.amount_refunded.amount) == (InboxStatus.IGNORED, 5_000)
    assert statuses(payment) == {"re_a": RS.SUCCEEDED, "re_b": RS.SUCCEEDED}


def test_an_amount_no_pending_refund_has_is_an_unknown_refund_for_a_retry() -> None:
    payment = paid_with_refunds(("re_a", 2_500, None))
    outcome = apply_event(payment, refund_news(amount=2_400), AT)
    assert outcome.status is InboxStatus.FAILED
    assert statuses(payment) == {"re_a": RS.PENDING}


def test_a_refund_id_we_know_wins_over_the_amount() -> None:
    payment = paid_with_refunds(("re_a", 2_500, "901"), ("re_b", 2_500, "902"))
    apply_event(payment, refund_news(refund_id="902"), AT)
    assert statuses(payment) == {"re_a": RS.PENDING, "re_b": RS.SUCCEEDED}
    again = apply_event(payment, refund_news(refund_id="902"), AT)  # settled already: never moves re_a
    assert again.status is InboxStatus.IGNORED
    assert statuses(payment) == {"re_a": RS.PENDING, "re_b": RS.SUCCEEDED}


def test_an_unknown_provider_id_prefers_a_refund_whose_answer_was_lost() -> None:
    payment = paid_with_refunds(("re_a", 2_500, "901"), ("re_b", 2_500, None))
    apply_event(payment, refund_news(refund_id="903"), AT)
    assert statuses(payment) == {"re_a": RS.PENDING, "re_b": RS.SUCCEEDED}
    apply_event(payment, refund_news(refund_id="904"), AT)  # still a pending refund of that amount: matched
    assert statuses(payment) == {"re_a": RS.SUCCEEDED, "re_b": RS.SUCCEEDED}
    late = apply_event(payment, refund_news(A.REFUND_FAILED, refund_id="905"), AT)
    assert late.status is InboxStatus.IGNORED  # news of settled refunds only: changes nothing


@pytest.mark.parametrize(
    "fields",
    [
        {"refund_by_amount": False},  # other providers name their refunds: never guessed
        {"currency": "USD"},  # not our refund's money
    ],
)
def test_no_match_without_the_flag_or_in_another_currency(fields: dict[str, object]) -> None:
    payment = paid_with_refunds(("re_a", 2_500, None))
    outcome = apply_event(payment, refund_news(**fields), AT)
    assert outcome.status in (InboxStatus.FAILED, InboxStatus.IGNORED)
    assert statuses(payment) == {"re_a": RS.PENDING}


def test_the_refunds_the_provider_vouches_for_are_matched_first() -> None:
    payment = paid_with_refunds(("re_a", 2_500, None), ("re_b", 2_500, None))
    apply_event(payment, refund_news(vouched_refund_ids=("re_b",)), AT)  # Paystack processed the newer first
    assert statuses(payment) == {"re_a": RS.PENDING, "re_b": RS.SUCCEEDED}
    # the same news again, after the janitor (say) settled re_b: never moves re_a
    again = apply_event(payment, refund_news(vouched_refund_ids=("re_b",)), AT)
    assert again.status is InboxStatus.IGNORED
    assert statuses(payment) == {"re_a": RS.PENDING, "re_b": RS.SUCCEEDED}


def test_vouching_for_refunds_that_are_not_the_payments_falls_back_to_the_amount() -> None:
    payment = paid_with_refunds(("re_a", 2_500, None))
    apply_event(payment, refund_news(vouched_refund_ids=("re_someone_else",)), AT)
    assert statuses(payment) == {"re_a": RS.SUCCEEDED}
