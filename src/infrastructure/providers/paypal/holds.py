"""Taking or releasing an authorized payment's hold: capture the authorization (in full or in part, the rest
released) or void it. The authorization is found through the payment's order, which is what we store.
"""

from __future__ import annotations

from application.data.provider_news import ProviderCapture
from application.errors import ProviderError, ProviderUnavailable
from domain.payments.payment import Payment
from domain.shared.money import Money
from infrastructure.providers.paypal import wire
from infrastructure.providers.paypal.api import PayPalApi, segment
from infrastructure.providers.paypal.authorizations import capture_answer, capture_request
from infrastructure.providers.paypal.errors import NAME, PayPalRefused

_NOTHING_TO_VOID = frozenset({"VOIDED", "EXPIRED"})  # the hold is gone already: voiding again is done


class PayPalHolds:
    def __init__(self, api: PayPalApi) -> None:
        self._api = api

    async def capture(self, payment: Payment, amount: Money) -> ProviderCapture:
        """One call per capture reservation, keyed on it (`Payment.capture_key`: a capture asked after a refused
        one must not get PayPal's stored refusal back). ProviderUnavailable only once the capture may have
        happened: PayPal not answering while we look the authorization up means nothing was sent, so that is a
        ProviderError (the hold stands and may be captured again) rather than a capture left pending forever."""
        body = capture_request(amount)  # refuses a fractional HUF/TWD amount before any call
        try:
            authorization = await self._authorization_of(payment)
        except ProviderUnavailable as error:
            raise ProviderError(NAME, f"nothing captured: {error.reason}") from None
        answer = await self._api.post(
            f"/v2/payments/authorizations/{segment(authorization.id)}/capture",
            wire.Capture,
            json=body,
            request_id=f"capture-{payment.capture_key}",
        )
        return capture_answer(answer)

    async def void(self, payment: Payment) -> None:
        """Releases the hold. Safe to repeat: a hold already voided (or lapsed) needs nothing more. A captured one
        cannot be voided: PayPal's refusal (PREVIOUSLY_CAPTURED) is raised, the payment being paid."""
        authorization = await self._authorization_of(payment)
        if authorization.status in _NOTHING_TO_VOID:
            return
        try:
            await self._api.act(
                f"/v2/payments/authorizations/{segment(authorization.id)}/void", request_id=f"void-{payment.id}"
            )
        except PayPalRefused as refused:
            if refused.issue != "PREVIOUSLY_VOIDED":  # voided meanwhile (a concurrent cancel, the dashboard)
                raise

    async def _authorization_of(self, payment: Payment) -> wire.Authorization:
        if payment.provider_reference is None:
            raise ProviderError(NAME, f"{payment.id} has no PayPal order")
        order = await self._api.order(payment.provider_reference)
        if order.authorization is None:
            raise ProviderError(NAME, f"PayPal order {order.id} ({order.status}) has no authorization")
        return order.authorization
