"""What Flutterwave's API says about a charge or a refund, turned into the event to apply.

Used by `confirm` (a webhook, re-verified: https://developer.flutterwave.com/docs/webhooks advises verifying
every transaction before giving value) and by the lookups (the janitor asking on its own). The API's answer is
the truth; the webhook only told us where to look. A success is applied only when the API confirms the status
AND agrees with the event on tx_ref, amount and currency; the event returned carries the API's own amount and
currency, so the handler's check against our payment compares Flutterwave's numbers with ours.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from decimal import Decimal

from application.data.provider_news import EventAction, ProviderEvent
from domain.shared.errors import DomainError
from domain.shared.money import Currency
from infrastructure.providers.decimal_amounts import AmountNotExact, to_minor
from infrastructure.providers.flutterwave.api import RefundRecord, Transaction
from infrastructure.providers.flutterwave.events import REFUND_ACTIONS, V3_CHARGE_ACTIONS
from infrastructure.providers.flutterwave.wire import failure

log = logging.getLogger(__name__)

# We send our refund id as the refund's `comments`. Where Flutterwave hands it back, it names our refund even
# when the refund call's answer was lost; otherwise Flutterwave's refund id (our provider_reference) matches.
_OUR_REFUND_ID = re.compile(r"re_[0-9A-Za-z]+")


def judge_charge(event: ProviderEvent, tx: Transaction | None) -> ProviderEvent:
    if tx is None:
        return no_action(event, "Flutterwave knows no such transaction")
    if tx.tx_ref != event.payment_id:
        return no_action(event, f"the API says transaction {tx.id} belongs to tx_ref {tx.tx_ref!r}")
    money = _money(tx.amount, tx.currency)
    if money is None:
        return no_action(event, f"the API states an unusable amount {tx.amount} {tx.currency}")
    amount, currency = money
    action = V3_CHARGE_ACTIONS.get(tx.status.lower(), EventAction.NONE)
    if action is EventAction.NONE:
        return no_action(event, f"the API says the transaction is {tx.status!r}, not final", logging.INFO)
    if action is EventAction.PAYMENT_SUCCEEDED:
        if event.currency is not None and event.currency != currency:
            return no_action(event, f"the event says {event.currency}, the API {currency}")
        if event.amount is not None and event.amount != amount:
            return no_action(event, f"the event says {event.amount}, the API {amount} (minor units)")
    reason = failure(tx.processor_response) if action is EventAction.PAYMENT_FAILED else None
    return _settled(event, action, amount, currency, reason=reason)


def judge_refund(event: ProviderEvent, refund: RefundRecord | None, tx: Transaction | None) -> ProviderEvent:
    if refund is None or tx is None:
        return no_action(event, "Flutterwave knows no such refund or transaction")
    return judge_refund_record(event, refund, tx.currency, tx.tx_ref)


def judge_refund_record(event: ProviderEvent, record: RefundRecord, currency: str, payment_id: str) -> ProviderEvent:
    """The refund as the API states it; refunds carry no currency, so the transaction's (or payment's) is used."""
    money = _money(record.amount_refunded, currency)
    if money is None:
        return no_action(event, f"the API states an unusable amount {record.amount_refunded} {currency}")
    action = refund_outcome(record)
    if action is EventAction.NONE:
        return no_action(event, f"the API says the refund is {record.status!r}, not final", logging.INFO)
    reason = "Flutterwave reports the refund as failed" if action is EventAction.REFUND_FAILED else None
    refund_id = our_refund_id(record) or event.refund_id
    return _settled(event, action, *money, reason=reason, payment_id=payment_id, refund_id=refund_id)


def refund_outcome(record: RefundRecord) -> EventAction:
    return REFUND_ACTIONS.get(record.status.lower(), EventAction.NONE)


def our_refund_id(record: RefundRecord) -> str | None:
    comments = (record.comments or "").strip()
    return comments if _OUR_REFUND_ID.fullmatch(comments) else None


def no_action(event: ProviderEvent, why: str, level: int = logging.WARNING) -> ProviderEvent:
    # The handler records NONE as "ignored"; the log keeps the reason (a forged or confused webhook).
    log.log(level, "flutterwave %s %s not applied: %s", event.event_type, event.event_id or "(lookup)", why)
    return dataclasses.replace(event, action=EventAction.NONE, needs_confirmation=False, reason=why)


def _settled(
    event: ProviderEvent,
    action: EventAction,
    amount: int,
    currency: str,
    reason: str | None,
    payment_id: str | None = None,
    refund_id: str | None = None,
) -> ProviderEvent:
    return dataclasses.replace(
        event,
        action=action,
        amount=amount,
        currency=currency,
        reason=reason,
        payment_id=payment_id or event.payment_id,
        refund_id=refund_id or event.refund_id,
        needs_confirmation=False,
    )


def _money(amount: Decimal, code: str) -> tuple[int, str] | None:
    try:
        currency = Currency.of(code)
        return to_minor(amount, currency), currency.code
    except (DomainError, AmountNotExact):
        return None
