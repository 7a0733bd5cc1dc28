"""The janitor's look at a checkout whose provider never answered (a timeout or 5xx at checkout, or a crash).

The provider may have made the session all the same: our call reached it and only the answer was lost. Asking
`create_checkout` again is the lookup: it is idempotent on our payment id (PaymentProvider), so it hands back the
session the lost answer described (or, where the provider cannot hand an earlier one back, an equivalent one for
the same payment). The session is attached under the row lock, unless the payment moved on meanwhile (re-routed
to another provider, a session attached by a repeated checkout, or settled). From then on the payment follows its
session: the janitor expires it once the session's own `expires_at` has passed, instead of a day after it was
made; a session that has expired already is expired on the same pass.
"""

from __future__ import annotations

import logging

from application.data.cause import Cause
from application.errors import ProviderError
from application.ports.clock import Clock
from application.ports.payment_provider import PaymentProvider
from application.ports.unit_of_work import UnitOfWork
from domain.payments.payment import Payment

log = logging.getLogger(__name__)


class UnansweredCheckouts:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def find_session(self, provider: PaymentProvider, payment: Payment, cause: Cause) -> Payment:
        """The payment as it stands after asking `provider` for its session (attached when it still may be). A
        refusal leaves it as it was, to expire on its deadline like any checkout without news; unavailability is
        raised: the janitor reports it and asks again later."""
        try:
            session = await provider.create_checkout(payment)
        except ProviderError as refused:
            log.info("janitor: %s would not hand over %s's session: %s", provider.name, payment.id, refused.message)
            return payment
        async with self._uow as uow:
            current = await uow.payments.get(payment.id, for_update=True)
            if current.provider != provider.name or not current.reroutable:
                return current  # moved on since it was loaded: the found session stays unused
            current.attach_checkout_session(
                session.provider_reference, session.checkout_url, session.expires_at, self._clock.now()
            )
            await uow.payments.save(current, cause)
            await uow.commit()
        log.info("janitor: found %s's session %s at %s", payment.id, session.provider_reference, provider.name)
        return current
