"""The fake Stripe's objects and what its API does to them: Checkout Sessions (`cs_test_…`, a PaymentIntent `pi_…`
each, `capture_method` from `payment_intent_data`), refunds (`re_…`, `pending` at first), captures, cancels and
expiries, with Stripe's checks and error shapes (https://docs.stripe.com/api). Every change Stripe would announce
makes its event (`events`, not delivered until a test says so).

Written from Stripe's documentation, not from the adapter: nothing here imports the code under test.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.provider_fakes.stripe_wire import API_VERSION, StripeApiError, StripeEvent, new_id

HOLD_SECONDS = (
    7 * 24 * 3600
)  # a card authorization lasts 7 days (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method)
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CANCEL_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
CANCELLABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def _unexpected_state(intent: dict[str, Any], doing: str, allowed: str) -> StripeApiError:
    message = (
        f"This PaymentIntent could not be {doing} because it has a status of {intent['status']}. Only a "
        f"PaymentIntent with one of the following statuses may be {doing}: {allowed}."
    )
    return StripeApiError(400, message, code="payment_intent_unexpected_state")


@dataclass
class StripeResources:
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, StripeEvent] = field(default_factory=dict)  # every event made, oldest first
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def stores(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            "sessions": self.sessions,
            "payment_intents": self.payment_intents,
            "charges": self.charges,
            "refunds": self.refunds,
        }

    # ---- POST /v1/checkout/sessions ----------------------------------------------------------------------
    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("mode") != "payment":
            raise StripeApiError(400, "Missing required param: mode.", code="parameter_missing", param="mode")
        if not params.get("success_url"):
            raise StripeApiError(400, "Missing required param: success_url.", param="success_url")
        total, currency = self._line_items_total(params.get("line_items"))
        now = int(time.time())
        expires_at = int(params.get("expires_at", now + 86400))
        if not now + 1800 - 5 <= expires_at <= now + 86400:
            raise StripeApiError(
                400,
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                param="expires_at",
            )
        intent_data = params.get("payment_intent_data") or {}
        capture_method = intent_data.get("capture_method", "automatic")
        if capture_method not in CAPTURE_METHODS:
            message = f"Invalid capture_method: must be one of {', '.join(CAPTURE_METHODS)}"
            raise StripeApiError(400, message, param="payment_intent_data[capture_method]")
        session_id, intent_id = new_id("cs_test"), new_id("pi")
        with self._lock:
            self.payment_intents[intent_id] = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": total,
                "amount_capturable": 0,
                "amount_received": 0,
                "currency": currency,
                "status": "requires_payment_method",
                "capture_method": capture_method,
                "cancellation_reason": None,
                "metadata": intent_data.get("metadata", {}),
                "latest_charge": None,
                "created": now,
            }
            self.sessions[session_id] = {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "payment_intent": intent_id,
                "payment_status": "unpaid",
                "status": "open",
                "amount_total": total,
                "currency": currency,
                "expires_at": expires_at,
                "client_reference_id": params.get("client_reference_id"),
                "customer_email": params.get("customer_email"),
                "metadata": params.get("metadata", {}),
                "success_url": params["success_url"],
                "cancel_url": params.get("cancel_url"),
                "created": now,
                "livemode": False,
            }
            return dict(self.sessions[session_id])

    @staticmethod
    def _line_items_total(items: Any) -> tuple[int, str | None]:
        if not isinstance(items, list) or not items:
            raise StripeApiError(400, "Missing required param: line_items.", param="line_items")
        total, currency = 0, None
        for index, item in enumerate(items):
            price = item.get("price_data") or {}
            currency = price.get("currency", "")
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise StripeApiError(
                    400, f"Invalid currency: {currency}.", param=f"line_items[{index}][price_data][currency]"
                )
            unit_amount = int(price.get("unit_amount", "0"))
            if unit_amount <= 0 or not (price.get("product_data") or {}).get("name"):
                raise StripeApiError(400, "Invalid price_data.", param=f"line_items[{index}][price_data]")
            total += unit_amount * int(item.get("quantity", "1"))
        return total, currency

    # ---- POST /v1/checkout/sessions/{id}/expire ------------------------------------------------------------
    def expire_session(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self._found(self.sessions, session_id, "checkout.session")
            if session["status"] != "open":
                message = (
                    f'Only Checkout Sessions with a status in ["open"] can be expired. This one is {session["status"]}.'
                )
                raise StripeApiError(400, message)
            session["status"] = "expired"
            self.event("checkout.session.expired", session)
            return dict(session)

    # ---- POST /v1/payment_intents/{id}/capture and /cancel ----------------------------------------------------
    def capture_intent(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Takes `amount_to_capture` (default: all that is held); the rest is released."""
        with self._lock:
            intent = self._found(self.payment_intents, intent_id, "payment_intent")
            if intent["status"] != "requires_capture":
                raise _unexpected_state(intent, "captured", "requires_capture")
            amount = int(params.get("amount_to_capture", intent["amount_capturable"]))
            capturable = intent["amount_capturable"]
            if not 0 < amount <= capturable:
                message = f"The amount to capture ({amount}) must be at most the amount capturable ({capturable})."
                raise StripeApiError(400, message, code="amount_too_large", param="amount_to_capture")
            charge = self.charges[intent["latest_charge"]]
            charge.update(captured=True, amount_captured=amount)
            intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
            self.event("charge.captured", charge)
            self.event("payment_intent.succeeded", intent)
            return dict(intent)

    def cancel_intent(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            intent = self._found(self.payment_intents, intent_id, "payment_intent")
            if intent["status"] not in CANCELLABLE:
                raise _unexpected_state(intent, "canceled", ", ".join(CANCELLABLE))
            if intent["status"] != "requires_capture" and self._open_session_of(intent_id):
                message = (
                    "This PaymentIntent's Checkout Session is still open: expire the Checkout Session instead "
                    "of canceling its PaymentIntent."
                )
                raise StripeApiError(400, message)
            reason = params.get("cancellation_reason")
            if reason is not None and reason not in CANCEL_REASONS:
                raise StripeApiError(400, "Invalid cancellation_reason.", param="cancellation_reason")
            return self.cancel(intent, reason)

    def cancel(self, intent: dict[str, Any], reason: str | None) -> dict[str, Any]:
        intent.update(status="canceled", cancellation_reason=reason, amount_capturable=0, canceled_at=int(time.time()))
        self.event("payment_intent.canceled", intent)
        return dict(intent)

    # ---- POST /v1/refunds -----------------------------------------------------------------------------------
    def create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            intent = self.payment_intents.get(params.get("payment_intent", ""))
            if intent is None:
                raise StripeApiError(400, "Missing required param: payment_intent.", param="payment_intent")
            if intent["status"] != "succeeded":
                message = f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund."
                raise StripeApiError(400, message, code="charge_not_refundable")
            held = sum(
                r["amount"]
                for r in self.refunds.values()
                if r["payment_intent"] == intent["id"] and r["status"] in ("pending", "succeeded")
            )
            remaining = intent["amount_received"] - held
            amount = int(params.get("amount", remaining))
            if amount <= 0 or amount > remaining:
                message = f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"
                raise StripeApiError(400, message, code="amount_too_large", param="amount")
            if "reason" in params and params["reason"] not in _REASONS:
                raise StripeApiError(
                    400,
                    "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                    param="reason",
                )
            refund_id = new_id("re")
            self.refunds[refund_id] = {
                "id": refund_id,
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "status": "pending",
                "payment_intent": intent["id"],
                "charge": intent["latest_charge"],
                "metadata": params.get("metadata", {}),
                "reason": params.get("reason"),
                "failure_reason": None,
                "created": int(time.time()),
            }
            return dict(self.refunds[refund_id])

    # ---- charges: what paying or authorizing makes ------------------------------------------------------------
    def new_charge(self, intent: dict[str, Any], *, captured: bool) -> dict[str, Any]:
        charge_id = new_id("ch")
        card: dict[str, Any] = {"brand": "visa", "last4": "4242"}
        if not captured:
            card["capture_before"] = int(time.time()) + HOLD_SECONDS
        self.charges[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if captured else 0,
            "amount_refunded": 0,
            "captured": captured,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "metadata": intent["metadata"],  # Stripe copies the PaymentIntent's metadata to its charges
            "payment_method_details": {"type": "card", "card": card},
            "refunded": False,
            "status": "succeeded",
        }
        intent["latest_charge"] = charge_id
        return self.charges[charge_id]

    # ---- events ------------------------------------------------------------------------------------------
    def event(
        self, event_type: str, obj: dict[str, Any], *, event_id: str | None = None, created: int | None = None
    ) -> StripeEvent:
        """A real event payload around a snapshot of `obj` (`created`: its Unix time, now by default)."""
        event_id = event_id or new_id("evt")
        payload = {
            "id": event_id,
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()) if created is None else created,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": json.loads(json.dumps(obj))},
        }
        made = StripeEvent(event_id, event_type, json.dumps(payload).encode())
        with self._lock:
            self.events[event_id] = made
        return made

    def last_event(self, event_type: str) -> StripeEvent:
        """The newest event of that type (e.g. the `payment_intent.succeeded` a capture made)."""
        with self._lock:
            return [e for e in self.events.values() if e.type == event_type][-1]

    # ---- helpers -----------------------------------------------------------------------------------------
    def _open_session_of(self, intent_id: str) -> bool:
        return any(s["payment_intent"] == intent_id and s["status"] == "open" for s in self.sessions.values())

    @staticmethod
    def _found(store: dict[str, dict[str, Any]], object_id: str, noun: str) -> dict[str, Any]:
        if object_id not in store:
            raise StripeApiError(404, f"No such {noun}: '{object_id}'", code="resource_missing", param="id")
        return store[object_id]
