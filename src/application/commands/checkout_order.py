"""Start (or hand back) the order's checkout with a provider."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.errors import LivePaymentExists, ProviderError
from application.messages import Command
from application.ports.cause import Cause
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.payment_provider import PaymentProvider, PaymentProviders
from application.ports.unit_of_work import UnitOfWork
from application.views import CheckoutResult, PaymentView
from domain.payments.checkout_policy import OneLivePaymentPerOrder
from domain.payments.payment import CheckoutDetails, Payment
from domain.shared.money import Money


@dataclass(frozen=True, slots=True)
class CheckoutOrder(Command[CheckoutResult]):
    order_id: str
    amount: int
    currency: str
    provider: str | None = None
    details: CheckoutDetails = field(default_factory=CheckoutDetails)
    actor: str | None = None


class CheckoutOrderHandler:
    """Two short transactions around the provider call, never one held open across it.

    1. Commit the payment first, so a webhook that beats our response finds it. The store's uniqueness guard
       makes "one live payment per order" hold under concurrent checkouts: the loser hands back the winner's.
    2. Ask the provider, with our payment id as its idempotency key: asking again returns the same session,
       which is why a payment whose session is missing (a crash or timeout earlier) is simply asked again.
    3. Attach the session. A provider that refuses (4xx) fails the payment so the order can try again;
       one that is unreachable leaves it processing for the janitor and for the client's retry.
    """

    def __init__(self, uow: UnitOfWork, providers: PaymentProviders, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._providers, self._clock, self._ids = uow, providers, clock, ids

    async def __call__(self, cmd: CheckoutOrder) -> CheckoutResult:
        money = Money.of(cmd.amount, cmd.currency)
        provider = self._providers.choose(cmd.provider, money.currency)
        payment, created = await self._open_payment(cmd, money, provider.name)
        if payment.checkout_url is None:
            payment = await self._create_session(self._providers.get(payment.provider), payment, cmd.actor)
        return CheckoutResult(PaymentView.of(payment), created)

    async def _open_payment(self, cmd: CheckoutOrder, money: Money, provider: str) -> tuple[Payment, bool]:
        for _ in range(3):  # a concurrent checkout can win between our read and our insert; then reuse its
            async with self._uow as uow:
                live = await uow.payments.find_live_for_order(cmd.order_id)
                reusable = OneLivePaymentPerOrder(cmd.order_id, money, live).reusable()
                if reusable is not None:
                    return reusable, False
                payment = Payment.initiate(
                    self._ids.new("pay"), cmd.order_id, money, provider, cmd.details, self._clock.now()
                )
                try:
                    await uow.payments.add(payment, Cause("api", cmd.actor))
                    await uow.commit()
                except LivePaymentExists:
                    continue
                return payment, True
        raise LivePaymentExists(cmd.order_id)

    async def _create_session(self, provider: PaymentProvider, payment: Payment, actor: str | None) -> Payment:
        try:
            session = await provider.create_checkout(payment)
        except ProviderError as refused:
            await self._fail(payment.id, f"provider refused the checkout: {refused.message}", actor)
            raise
        async with self._uow as uow:
            current = await uow.payments.get(payment.id, for_update=True)
            if current.attach_checkout_session(
                session.provider_reference, session.checkout_url, session.expires_at, self._clock.now()
            ):
                await uow.payments.save(current, Cause("api", actor))
                await uow.commit()
            return current

    async def _fail(self, payment_id: str, reason: str, actor: str | None) -> None:
        async with self._uow as uow:
            payment = await uow.payments.get(payment_id, for_update=True)
            if payment.fail(reason, self._clock.now()):
                await uow.payments.save(payment, Cause("api", actor))
                await uow.commit()
