"""Call off a payment that has not taken money: close its open checkout, or void its hold."""

from __future__ import annotations

from dataclasses import dataclass

from application.data.cause import Cause, Source
from application.errors import CheckoutAlreadyCompleted
from application.messages import Command
from application.metric_outcomes import failure_outcome
from application.ports.clock import Clock
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.payment_provider import PaymentProvider, PaymentProviders
from application.ports.unit_of_work import UnitOfWork
from application.views import PaymentView
from domain.payments.errors import PaymentNotCancellable
from domain.payments.payment import Payment
from domain.payments.rules import CancelOnlyWhileOpen
from domain.payments.status import PaymentStatus
from domain.shared.rules import check

DEFAULT_REASON = "cancelled by the order system"


@dataclass(frozen=True, slots=True)
class CancelPayment(Command[PaymentView]):
    payment_id: str
    reason: str | None = None
    actor: str | None = None
    source: Source = "api"  # the console sends "admin"


class CancelPaymentHandler:
    """The provider first (Stripe: expire the Checkout Session, or cancel the PaymentIntent of a hold; PayPal: void
    the authorization; providers whose checkouts expire by themselves: nothing), outside any transaction; then
    the payment is `cancelled` under its row lock. Cancelling a cancelled payment changes nothing (200).

    If the customer pays in that same moment, the provider's success wins when it arrives: the payment becomes
    `succeeded`, flagged paid after cancel (and refunded automatically when configured). If the customer had
    already finished when our cancel reached the provider, the cancel is refused (`payment-not-cancellable`).
    """

    def __init__(
        self, uow: UnitOfWork, providers: PaymentProviders, clock: Clock, metrics: Metrics = NO_METRICS
    ) -> None:
        self._uow, self._providers, self._clock, self._metrics = uow, providers, clock, metrics

    async def __call__(self, cmd: CancelPayment) -> PaymentView:
        async with self._uow as uow:
            payment = await uow.payments.get(cmd.payment_id)
        if payment.status is PaymentStatus.CANCELLED:
            return PaymentView.of(payment)
        provider = self._providers.get(payment.provider)
        try:
            check(CancelOnlyWhileOpen(payment.id, payment.status, payment.capture_pending))
            await self._close_at_provider(provider, payment)
            view = await self._cancel(cmd)
        except Exception as error:
            self._metrics.cancel(provider.name, failure_outcome(error))
            raise
        self._metrics.cancel(provider.name, "cancelled")
        return view

    @staticmethod
    async def _close_at_provider(provider: PaymentProvider, payment: Payment) -> None:
        """No transaction held. A checkout the customer completed before our cancel reached the provider is no
        longer open, whatever we have heard so far: refused like any payment past cancelling, not as a provider
        failure."""
        try:
            await provider.cancel(payment)
        except CheckoutAlreadyCompleted:
            raise PaymentNotCancellable(payment.id, payment.status, completed=True) from None

    async def _cancel(self, cmd: CancelPayment) -> PaymentView:
        async with self._uow as uow:
            payment = await uow.payments.get(cmd.payment_id, for_update=True)
            if payment.cancel(cmd.reason or DEFAULT_REASON, self._clock.now()):
                await uow.payments.save(payment, Cause(cmd.source, cmd.actor))
                await uow.commit()
            return PaymentView.of(payment)
