"""Notices: webhooks that only say "something changed about payment X" (Mollie), turned into events by asking.

The body is believed for nothing but the reference to look up, and only among our own payments: an unknown
reference is dropped without a call to the provider, so the endpoint cannot be used to make us call it at will.
For a payment of ours, the provider is asked about the payment (`lookup_payment`) and each of its pending refunds
(`lookup_refund`) outside any transaction, and what it says comes back as events to record and apply.
"""

from __future__ import annotations

from dataclasses import replace

from application.data.provider_news import ProviderEvent, ProviderNotice
from application.ports.payment_provider import PaymentProvider
from application.ports.unit_of_work import UnitOfWork
from domain.payments.status import RefundStatus


class NoticeFollower:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def events(self, provider: PaymentProvider, notice: ProviderNotice) -> list[ProviderEvent]:
        async with self._uow as uow:
            payment = await uow.payments.find_by_provider_reference(provider.name, notice.provider_reference)
        if payment is None:
            return []
        answers = [await provider.lookup_payment(payment)]
        for refund in payment.refunds:
            if refund.status is RefundStatus.PENDING:
                answers.append(await provider.lookup_refund(payment, refund))
        # the payment is ours as found by its reference: whatever the answers carry, they are about it
        return [replace(event, payment_id=payment.id) for event in answers if event is not None]
