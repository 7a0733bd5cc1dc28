"""What Paystack's API says about a transaction or a refund, as the event to apply.

Transaction statuses (https://paystack.com/docs/api/transaction/#verify): `success` and `failed` are final.
`abandoned` is NOT: it is also the status of a transaction whose checkout the customer has not finished yet,
and they may still come back and pay; failing the payment on it would turn that later payment into money taken
for an order marked failed. It waits, like `ongoing`, `pending`, `processing` and `queued`. `reversed` (refunded or
charged back after success) is news for the refund and dispute events, not a verdict on the payment.
"""

from __future__ import annotations

from application.data.provider_news import EventAction, ProviderEvent
from infrastructure.providers.paystack.references import payment_id_in, payment_id_of
from infrastructure.providers.paystack.signature import PROVIDER
from infrastructure.providers.paystack.wire import RefundRecord, Transaction, minor_units

# Refund statuses (https://paystack.com/docs/api/refund/#fetch): `pending`, `processing`, `needs-attention`
# wait; `processed` and `failed` are final.
REFUND_FINAL = {"processed": EventAction.REFUND_SUCCEEDED, "failed": EventAction.REFUND_FAILED}


def transaction_event(
    transaction: Transaction, *, event_id: str, event_type: str, payment_id: str | None = None
) -> ProviderEvent | None:
    """The verified word on a payment, with Paystack's own amount and currency; None while it is not final."""
    action = {
        "success": EventAction.PAYMENT_SUCCEEDED,
        "failed": EventAction.PAYMENT_FAILED,
        "reversed": EventAction.NONE,
    }.get(transaction.status)
    if action is None:
        return None
    reason = None
    if action is EventAction.PAYMENT_FAILED:
        reason = f"Paystack: {transaction.gateway_response or 'the charge failed'}"
    elif action is EventAction.NONE:
        reason = "Paystack reports the transaction reversed (refunded or charged back)"
    return ProviderEvent(
        provider=PROVIDER,
        event_id=event_id,
        event_type=event_type,
        action=action,
        payment_id=payment_id or payment_id_of(transaction.reference) or payment_id_in(transaction.metadata),
        provider_reference=transaction.reference,
        amount=transaction.amount,
        currency=transaction.currency.upper(),
        reason=reason,
    )


def vouched_refund_ids(records: list[RefundRecord], state: str, amount: int | None) -> tuple[str, ...]:
    """Our refund ids among a transaction's refunds that Paystack reports `state` with `amount` (our refund id
    starts the merchant note we send with each refund: `re_… for pay_… (reason)`)."""
    found: list[str] = []
    for record in records:
        note = (record.merchant_note or "").split(" ", 1)[0]
        try:
            same_amount = minor_units(record.amount) == amount
        except ValueError:
            continue
        if record.status == state and same_amount and note.startswith("re_"):
            found.append(note)
    return tuple(found)


def refund_event(record: RefundRecord, *, payment_id: str, refund_id: str) -> ProviderEvent | None:
    """The verified word on one of our refunds; None while Paystack is still working on it."""
    action = REFUND_FINAL.get(record.status)
    if action is None:
        return None
    return ProviderEvent(
        provider=PROVIDER,
        event_id=f"refund.lookup:{record.id}:{record.status}",
        event_type=f"refund.{record.status}",
        action=action,
        payment_id=payment_id,
        provider_reference=str(record.id),
        refund_id=refund_id,
        amount=minor_units(record.amount),
        currency=record.currency.upper(),
        reason=f"Paystack reports the refund {record.status}",
    )
