"""Start (or hand back) the order's checkout with a provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from application.callback_destinations import PRIVATE_NETWORKS_ALLOWED, CallbackDestinations
from application.data.cause import Cause
from application.data.provider_news import CheckoutSession
from application.errors import ConcurrentUpdate, LivePaymentExists, ProviderError
from application.messages import Command
from application.metric_outcomes import failure_outcome
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.payment_provider import PaymentProvider, PaymentProviders
from application.ports.risk import NO_RISK_CHECKS, CheckoutFacts, RiskAssessor
from application.ports.unit_of_work import UnitOfWork
from application.risk_check import RiskCheck, checkout_facts
from application.routing.failover import CheckoutFailover
from application.views import CheckoutResult, PaymentView
from domain.payments.checkout_policy import OneLivePaymentPerOrder
from domain.payments.payment import CaptureMode, CheckoutDetails, Payment
from domain.payments.risk import PaymentBlocked, RiskAssessment
from domain.shared.money import Money


@dataclass(frozen=True, slots=True)
class CheckoutOrder(Command[CheckoutResult]):
    order_id: str
    amount: int
    currency: str
    provider: str | None = None
    details: CheckoutDetails = field(default_factory=CheckoutDetails)
    actor: str | None = None
    capture: CaptureMode = CaptureMode.AUTOMATIC


class CheckoutOrderHandler:
    """Two short transactions around the provider call, never one held open across it.

    1. Commit the payment first, so a webhook that beats our response finds it. The store's uniqueness guard
       makes "one live payment per order" hold under concurrent checkouts: the loser hands back the winner's.
    2. Ask the provider, with our payment id as its idempotency key: asking again returns the same session,
       which is why a payment whose session is missing (a crash or timeout earlier) is simply asked again.
    3. Attach the session. A provider that refuses (4xx) fails the payment so the order can try again;
       one that is unreachable leaves it processing for the janitor and for the client's retry.

    A `callback_url` the worker may not post to (callback_destinations.py) is refused before step 1: nothing is
    stored and no provider is asked. So is a checkout the risk check blocks (application/risk_check.py): its
    checks that need no count run before step 1, its velocity counts inside step 1's transaction.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        providers: PaymentProviders,
        clock: Clock,
        ids: IdGenerator,
        failover: CheckoutFailover,
        metrics: Metrics = NO_METRICS,
        callback_destinations: CallbackDestinations = PRIVATE_NETWORKS_ALLOWED,
        risk: RiskAssessor = NO_RISK_CHECKS,
    ) -> None:
        self._uow, self._providers, self._clock, self._ids = uow, providers, clock, ids
        self._metrics, self._callback_destinations = metrics, callback_destinations
        self._failover = failover
        self._risk = RiskCheck(risk, metrics)

    async def __call__(self, cmd: CheckoutOrder) -> CheckoutResult:
        money = Money.of(cmd.amount, cmd.currency)
        # a provider that cannot hold funds refuses a manual capture here: before anything is stored or asked
        provider = self._providers.choose(
            cmd.provider, money.currency, manual_capture=cmd.capture is CaptureMode.MANUAL
        )
        if cmd.details.callback_url is not None:  # like the checks above: a client's mistake, not counted
            await self._callback_destinations.check(cmd.details.callback_url)
        try:  # counted once a provider is chosen: its name is a bounded label, a client's preference is not
            result = await self._checkout(cmd, money, provider)
        except Exception as error:
            self._metrics.checkout(provider.name, failure_outcome(error))
            raise
        self._metrics.checkout(result.payment.provider, "created" if result.created else "reused")
        return result

    async def _checkout(self, cmd: CheckoutOrder, money: Money, provider: PaymentProvider) -> CheckoutResult:
        facts = checkout_facts(cmd.order_id, money, cmd.details, provider.name, self._clock.now())
        risk = await self._risk.screen(facts)  # before anything is stored or any provider asked
        payment, created = await self._open_payment(cmd, facts, provider.name, risk)
        if payment.checkout_url is None:  # new, or no provider answered yet: routing/failover.py
            create = partial(self._create_session, actor=cmd.actor)
            payment = await self._failover.create_session(
                payment, cmd.provider, cmd.actor, create, repeated=not created
            )
        return CheckoutResult(PaymentView.of(payment), created)

    async def _open_payment(
        self, cmd: CheckoutOrder, facts: CheckoutFacts, provider: str, screened: RiskAssessment | None
    ) -> tuple[Payment, bool]:
        """Insert first, read only when the order already has a live payment: a new order (the common case)
        costs one write and no read. The store's one-live-payment-per-order guard refuses the insert otherwise;
        then the live payment is read and the policy reuses or refuses it, exactly as a read-first would."""
        for _ in range(3):  # the live payment can settle (fail, expire) between our insert and our read
            try:
                async with self._uow as uow:
                    risk = await self._risk.settle(facts, screened, uow.recent_checkouts)  # counted under locks
                    payment = Payment.initiate(
                        self._ids.new("pay"),
                        cmd.order_id,
                        facts.amount,
                        provider,
                        cmd.details,
                        facts.at,
                        cmd.capture,
                        risk,
                    )
                    await uow.payments.add(payment, Cause("api", cmd.actor))
                    await uow.commit()
                return payment, True
            except LivePaymentExists:
                blocked = None
            except PaymentBlocked as counted:  # a repeat of the order's open checkout creates nothing: handed back
                blocked = counted
            async with self._uow as uow:
                live = await uow.payments.find_live_for_order(cmd.order_id)
            if blocked is not None and live is None:
                raise blocked
            reusable = OneLivePaymentPerOrder(cmd.order_id, facts.amount, live).reusable()
            if reusable is not None:
                return reusable, False
        raise LivePaymentExists(cmd.order_id)

    async def _create_session(self, provider: PaymentProvider, payment: Payment, actor: str | None) -> Payment:
        try:
            session = await provider.create_checkout(payment)
        except ProviderError as refused:
            await self._fail(payment.id, f"provider refused the checkout: {refused.message}", actor)
            raise
        if await self._attach_unless_changed(payment, session, actor):
            return payment
        async with self._uow as uow:  # changed since we read it (a fast webhook): attach under the row lock
            current = await uow.payments.get(payment.id, for_update=True)
            if current.provider == provider.name and current.attach_checkout_session(
                session.provider_reference, session.checkout_url, session.expires_at, self._clock.now()
            ):
                await uow.payments.save(current, Cause("api", actor))
                await uow.commit()
            return current

    async def _attach_unless_changed(self, payment: Payment, session: CheckoutSession, actor: str | None) -> bool:
        """Attaches the session to the payment as we last wrote or read it, without a lock or a re-read: the
        version check of `save` refuses the write if anything changed it since (ConcurrentUpdate), and then the
        caller attaches under the row lock instead. Saves two round trips on every new checkout; being one write
        (the payment row with its audit and outbox rows), it needs no transaction of its own: two more."""
        if not payment.attach_checkout_session(
            session.provider_reference, session.checkout_url, session.expires_at, self._clock.now()
        ):
            return False
        try:
            async with self._uow.one_write() as uow:
                await uow.payments.save(payment, Cause("api", actor))
                await uow.commit()
        except ConcurrentUpdate:
            return False
        return True

    async def _fail(self, payment_id: str, reason: str, actor: str | None) -> None:
        async with self._uow as uow:
            payment = await uow.payments.get(payment_id, for_update=True)
            if payment.fail(reason, self._clock.now()):
                await uow.payments.save(payment, Cause("api", actor))
                await uow.commit()
