"""The customer's and Stripe's side of the fake Stripe: paying, authorizing a hold, delayed methods, expiries,
lapsed holds, refunds settling, disputes. Each returns the real event payloads Stripe would send (not delivered:
the test decides when, with `FakeStripe.deliver`).
"""

from __future__ import annotations

from typing import Any

from tests.provider_fakes.stripe_resources import StripeResources
from tests.provider_fakes.stripe_wire import StripeEvent, new_id


class StripeStory(StripeResources):
    def session_for(self, payment_id: str) -> dict[str, Any]:
        return next(s for s in self.sessions.values() if s["client_reference_id"] == payment_id)

    def intent_of(self, session_id: str) -> dict[str, Any]:
        return self.payment_intents[self.sessions[session_id]["payment_intent"]]

    def pay(self, session_id: str) -> list[StripeEvent]:
        """The customer pays by card: checkout.session.completed (paid) and payment_intent.succeeded."""
        with self._lock:
            session = self.sessions[session_id]
            assert self.intent_of(session_id)["capture_method"] != "manual", "a manual session is authorized"
            session.update(status="complete", payment_status="paid")
            intent = self._succeed_intent(session["payment_intent"])
            return [self.event("checkout.session.completed", session), self.event("payment_intent.succeeded", intent)]

    def authorize(self, session_id: str) -> list[StripeEvent]:
        """The customer approves a manual-capture session: the card is authorized and the funds are held. The
        session completes `unpaid`; the PaymentIntent `requires_capture` with `amount_capturable`; its charge is
        uncaptured with `capture_before`. Events: checkout.session.completed, then
        payment_intent.amount_capturable_updated."""
        with self._lock:
            session, intent = self.sessions[session_id], self.intent_of(session_id)
            assert intent["capture_method"] == "manual", "only a manual-capture session holds funds"
            session.update(status="complete", payment_status="unpaid")
            self.new_charge(intent, captured=False)
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
            return [
                self.event("checkout.session.completed", session),
                self.event("payment_intent.amount_capturable_updated", intent),
            ]

    def lapse(self, session_id: str) -> StripeEvent:
        """Nobody captured in time: Stripe cancels the PaymentIntent itself (`cancellation_reason: automatic`)."""
        with self._lock:
            intent = self.intent_of(session_id)
            assert intent["status"] == "requires_capture", "only a hold can lapse"
            self.cancel(intent, "automatic")
            return self.last_event("payment_intent.canceled")

    def complete_unpaid(self, session_id: str) -> list[StripeEvent]:
        """A delayed method (bank debit): the session completes unpaid; the money follows later."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="complete", payment_status="unpaid")
            self.payment_intents[session["payment_intent"]]["status"] = "processing"
            return [self.event("checkout.session.completed", session)]

    def async_payment(self, session_id: str, *, succeeded: bool = True) -> list[StripeEvent]:
        with self._lock:
            session = self.sessions[session_id]
            if not succeeded:
                self.payment_intents[session["payment_intent"]]["status"] = "requires_payment_method"
                return [self.event("checkout.session.async_payment_failed", session)]
            session["payment_status"] = "paid"
            intent = self._succeed_intent(session["payment_intent"])
            return [
                self.event("checkout.session.async_payment_succeeded", session),
                self.event("payment_intent.succeeded", intent),
            ]

    def failed_attempt(self, session_id: str, message: str = "Your card was declined.") -> StripeEvent:
        with self._lock:
            intent = self.intent_of(session_id)
            intent.update(
                status="requires_payment_method", last_payment_error={"message": message, "code": "card_declined"}
            )
            return self.event("payment_intent.payment_failed", intent)

    def expire(self, session_id: str) -> StripeEvent:
        """Stripe expires a session (also sent, late, for a session that was paid in another tab: it happens)."""
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] == "open":
                session["status"] = "expired"
            return self.event("checkout.session.expired", {**session, "status": "expired"})

    def settle_refund(self, refund_id: str, status: str = "succeeded") -> list[StripeEvent]:
        """The refund reaches its final state: refund.updated, then charge.refunded (or refund.failed)."""
        with self._lock:
            refund = self.refunds[refund_id]
            refund["status"] = status
            if status == "failed":
                refund["failure_reason"] = "charge_for_pending_refund_disputed"
                return [self.event("refund.updated", refund), self.event("refund.failed", refund)]
            charge = self.charges[refund["charge"]]
            # newest first, as Stripe lists them
            mine = [r for r in reversed(self.refunds.values()) if r["charge"] == charge["id"]]
            charge["amount_refunded"] = sum(r["amount"] for r in mine if r["status"] == "succeeded")
            charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
            expanded = {**charge, "refunds": {"object": "list", "data": mine, "has_more": False, "url": "/v1/refunds"}}
            return [self.event("refund.updated", refund), self.event("charge.refunded", expanded)]

    def dispute(self, session_id: str, *, expand_intent: bool = False) -> StripeEvent:
        with self._lock:
            intent = self.intent_of(session_id)
            dispute = {
                "id": new_id("dp"),
                "object": "dispute",
                "amount": intent["amount"],
                "currency": intent["currency"],
                "charge": intent["latest_charge"],
                "payment_intent": intent if expand_intent else intent["id"],
                "reason": "fraudulent",
                "status": "needs_response",
                "metadata": {},
            }
            return self.event("charge.dispute.created", dispute)

    def _succeed_intent(self, intent_id: str) -> dict[str, Any]:
        intent = self.payment_intents[intent_id]
        self.new_charge(intent, captured=True)
        intent.update(status="succeeded", amount_received=intent["amount"])
        return intent
