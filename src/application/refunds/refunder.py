"""A refund, from our books to the provider: reserved first, asked for once, the answer recorded.

Shared by the refund use case (an admin or an order system) and the automatic refund of a payment paid after we
cancelled it, so both obey the same rules: the reservation (a pending refund, under the payment's row lock) keeps
concurrent refunds within what was captured, and the provider is called once per refund id: a timeout leaves the
refund pending for the janitor to settle by asking, never a blind second call (Paystack has no idempotency).
"""

from __future__ import annotations

from application.data.cause import Cause
from application.data.outcomes import RefundOutcome
from application.data.provider_news import ProviderRefund
from application.errors import ProviderError, ProviderUnavailable
from application.metric_outcomes import failure_outcome
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.payment_provider import PaymentProviders
from application.ports.unit_of_work import UnitOfWork
from application.views import RefundView
from domain.payments.refund import RefundReason
from domain.payments.status import RefundStatus

# how the provider's answer left the refund
_ANSWERED: dict[RefundStatus, RefundOutcome] = {
    RefundStatus.PENDING: "pending",
    RefundStatus.SUCCEEDED: "succeeded",
    RefundStatus.FAILED: "failed",
}


class Refunder:
    def __init__(
        self,
        uow: UnitOfWork,
        providers: PaymentProviders,
        clock: Clock,
        ids: IdGenerator,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow, self._providers, self._clock, self._ids = uow, providers, clock, ids
        self._metrics = metrics

    async def refund(
        self,
        payment_id: str,
        amount: int | None,
        reason: RefundReason,
        note: str | None,
        cause: Cause,
        *,
        once_per_note: bool = False,
    ) -> RefundView:
        """`once_per_note`: if the payment already has a refund with this note (a reaction delivered twice), that
        refund is the answer and nothing is asked again."""
        async with self._uow as uow:  # transaction 1: reserve
            payment = await uow.payments.get(payment_id, for_update=True)
            done = [r for r in payment.refunds if once_per_note and r.note == note]
            if done:
                return RefundView.of(payment.id, done[0])
            try:
                refund = payment.request_refund(self._ids.new("re"), amount, reason, note, self._clock.now())
                await uow.payments.save(payment, cause)
                await uow.commit()
            except Exception as error:
                self._metrics.refund(payment.provider, failure_outcome(error))
                raise
        provider = self._providers.get(payment.provider)
        try:
            answer = await provider.refund(payment, refund)  # no transaction held
        except ProviderUnavailable:
            self._metrics.refund(provider.name, "unavailable")
            return RefundView.of(payment.id, refund)  # stays pending; settled later, never re-sent blindly
        except ProviderError as refused:
            self._metrics.refund(provider.name, "refused")
            answer = ProviderRefund(refund.provider_reference or "", RefundStatus.FAILED, refused.message)
            await self._record(payment_id, refund.id, answer, cause)
            raise
        self._metrics.refund(provider.name, _ANSWERED[answer.status])
        return await self._record(payment_id, refund.id, answer, cause)

    async def _record(self, payment_id: str, refund_id: str, answer: ProviderRefund, cause: Cause) -> RefundView:
        """Transaction 2: what the provider said. A webhook may already have settled it; that is fine."""
        now = self._clock.now()
        async with self._uow as uow:
            payment = await uow.payments.get(payment_id, for_update=True)
            refund = payment.refund(refund_id)
            changed = False
            if answer.provider_reference and refund.provider_reference is None:
                # kept even when a webhook settled the refund first: lookups by the provider's id need it
                changed = payment.mark_refund_submitted(refund_id, answer.provider_reference, now)
            if refund.status is RefundStatus.PENDING and answer.status is RefundStatus.SUCCEEDED:
                changed = payment.settle_refund_succeeded(refund_id, now) or changed
            elif refund.status is RefundStatus.PENDING and answer.status is RefundStatus.FAILED:
                reason = answer.failure_reason or "refused by provider"
                changed = payment.settle_refund_failed(refund_id, reason, now) or changed
            if changed:
                await uow.payments.save(payment, cause)
                await uow.commit()
            return RefundView.of(payment.id, payment.refund(refund_id))
