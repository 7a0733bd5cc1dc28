"""The fake PayPal's Payments v2 routes (https://developer.paypal.com/docs/api/payments/v2/): authorizations (show,
capture in full or in part, void), captures (show, refund) and refunds (show).

- Capturing an authorization: `amount` (default: what is left), `final_capture` (default false; true releases
  the rest, so nothing more can be captured). More than what is left is refused (`MAX_CAPTURE_AMOUNT_EXCEEDED`;
  PayPal allows up to 115% with the buyer's consent, which we never ask for). A voided or expired authorization
  cannot be captured (`AUTHORIZATION_VOIDED`, `AUTHORIZATION_EXPIRED`), a closed one neither
  (`AUTHORIZATION_ALREADY_CAPTURED`). A DECLINED capture leaves the authorization as it was.
- Voiding: `204 No Content`, or `200` with the authorization when asked for `Prefer: return=representation`;
  again is `422 PREVIOUSLY_VOIDED`, after a final capture `422 PREVIOUSLY_CAPTURED`.
- Refunds: over-refunding is `422 REFUND_AMOUNT_EXCEEDED`.

A mixin of `FakePayPal`, whose state it reads and changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tests.provider_fakes.paypal_orders import Answer
from tests.provider_fakes.paypal_resources import (
    Json,
    amount_problem,
    new_capture,
    new_refund,
    not_found,
    public,
    unprocessable,
)
from tests.provider_fakes.paypal_webhooks import paypal_time

_NOT_TAKEN = frozenset({"DECLINED", "FAILED"})


class PaymentRoutes:
    orders: dict[str, Json]
    authorizations: dict[str, Json]
    captures: dict[str, Json]
    refunds: dict[str, Json]
    capture_status: str
    refund_status: str
    _new_id: Callable[[], str]  # a new PayPal-style id (FakePayPal's)

    def _routes_of_payments(self) -> list[tuple[str, str, str, Any]]:
        return [
            ("GET", r"/v2/payments/authorizations/(\w+)", "get_authorization", self._get_authorization),
            (
                "POST",
                r"/v2/payments/authorizations/(\w+)/capture",
                "capture_authorization",
                self._capture_authorization,
            ),
            ("POST", r"/v2/payments/authorizations/(\w+)/void", "void", self._void),
            ("GET", r"/v2/payments/captures/(\w+)", "get_capture", self._get_capture),
            ("POST", r"/v2/payments/captures/(\w+)/refund", "refund", self._refund),
            ("GET", r"/v2/payments/refunds/(\w+)", "get_refund", self._get_refund),
        ]

    async def _get_authorization(self, match: re.Match[str], *_: Any) -> Answer:
        authorization = self.authorizations.get(match[1])
        return (200, public(authorization)) if authorization else (404, not_found(match[1]))

    async def _capture_authorization(self, match: re.Match[str], _: dict[str, str], body: bytes) -> Answer:
        authorization = self.authorizations.get(match[1])
        if authorization is None:
            return 404, not_found(match[1])
        request = json.loads(body or b"{}")
        taken = self._captured(authorization["id"])
        remaining = Decimal(authorization["amount"]["value"]) - taken
        amount = request.get("amount") or {**authorization["amount"], "value": str(remaining)}
        refused = _uncapturable(authorization) or amount_problem(amount)
        if refused is None and amount["currency_code"] != authorization["amount"]["currency_code"]:
            refused = unprocessable("CURRENCY_MISMATCH", "The capture currency differs from the authorization's.")
        if refused is None and Decimal(amount["value"]) > remaining:
            refused = unprocessable("MAX_CAPTURE_AMOUNT_EXCEEDED", "Capture amount exceeds allowable limit.")
        if refused is not None:
            return 422, refused
        final = bool(request.get("final_capture", False))
        path = f"/v2/payments/authorizations/{authorization['id']}"
        capture = new_capture(self._new_id(), self.capture_status, amount, authorization, final=final, up=path)
        if request.get("invoice_id"):
            capture["invoice_id"] = request["invoice_id"]
        self.captures[capture["id"]] = capture
        order = self.orders[authorization["supplementary_data"]["related_ids"]["order_id"]]
        order["purchase_units"][0]["payments"]["captures"].append(capture)
        if capture["status"] not in _NOT_TAKEN:
            whole = taken + Decimal(amount["value"]) >= Decimal(authorization["amount"]["value"])
            authorization["status"] = "CAPTURED" if whole else "PARTIALLY_CAPTURED"
            authorization["_closed"] = final or whole
            authorization["update_time"] = paypal_time()
        return 201, public(capture)

    async def _void(self, match: re.Match[str], headers: dict[str, str], _: bytes) -> Answer:
        authorization = self.authorizations.get(match[1])
        if authorization is None:
            return 404, not_found(match[1])
        if authorization["status"] == "VOIDED":
            why = "Authorization has been previously voided and hence cannot be voided again."
            return 422, unprocessable("PREVIOUSLY_VOIDED", why)
        if authorization.get("_closed"):
            why = "Authorization has been previously captured and hence cannot be voided."
            return 422, unprocessable("PREVIOUSLY_CAPTURED", why)
        if authorization["status"] == "EXPIRED":
            return 422, unprocessable("AUTHORIZATION_EXPIRED", "An expired authorization cannot be voided.")
        authorization["status"], authorization["update_time"] = "VOIDED", paypal_time()
        if "return=representation" in headers.get("prefer", ""):
            return 200, public(authorization)
        return 204, None

    async def _get_capture(self, match: re.Match[str], *_: Any) -> Answer:
        capture = self.captures.get(match[1])
        return (200, public(capture)) if capture else (404, not_found(match[1]))

    async def _refund(self, match: re.Match[str], _: dict[str, str], body: bytes) -> Answer:
        capture = self.captures.get(match[1])
        if capture is None:
            return 404, not_found(match[1])
        request = json.loads(body or b"{}")
        remaining = Decimal(capture["amount"]["value"]) - self._refunded(capture["id"])
        amount = request.get("amount") or {**capture["amount"], "value": str(remaining)}
        if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            return 422, unprocessable("CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded")
        if amount_problem(amount) or amount["currency_code"] != capture["amount"]["currency_code"]:
            return 422, amount_problem(amount) or unprocessable("CURRENCY_MISMATCH", "Refund currency differs")
        if Decimal(amount["value"]) > remaining:
            return 422, unprocessable("REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded.")  # fmt: skip
        refund = new_refund(self._new_id(), self.refund_status, amount, request, capture["id"])
        self.refunds[refund["id"]] = refund
        order = self.orders[capture["supplementary_data"]["related_ids"]["order_id"]]
        order["purchase_units"][0]["payments"]["refunds"].append(refund)
        self._update_capture(capture["id"])
        return 201, public(refund)

    async def _get_refund(self, match: re.Match[str], *_: Any) -> Answer:
        refund = self.refunds.get(match[1])
        return (200, public(refund)) if refund else (404, not_found(match[1]))

    # ---- bookkeeping ---------------------------------------------------------------------------------------------
    def _captured(self, authorization_id: str) -> Decimal:
        taken = (
            c for c in self.captures.values()
            if c["supplementary_data"]["related_ids"].get("authorization_id") == authorization_id and c["status"] not in _NOT_TAKEN
        )  # fmt: skip
        return sum((Decimal(c["amount"]["value"]) for c in taken), Decimal(0))

    def _refunded(self, capture_id: str) -> Decimal:
        held = (r for r in self.refunds.values() if r["_capture_id"] == capture_id and r["status"] != "FAILED")
        return sum((Decimal(r["amount"]["value"]) for r in held), Decimal(0))

    def _update_capture(self, capture_id: str) -> None:
        capture = self.captures[capture_id]
        done = sum(
            (Decimal(r["amount"]["value"]) for r in self.refunds.values() if r["_capture_id"] == capture_id and r["status"] == "COMPLETED"),
            Decimal(0),
        )  # fmt: skip
        if done:
            full = done >= Decimal(capture["amount"]["value"])
            capture["status"] = "REFUNDED" if full else "PARTIALLY_REFUNDED"


def _uncapturable(authorization: Json) -> Json | None:
    status = authorization["status"]
    if status == "VOIDED":
        return unprocessable("AUTHORIZATION_VOIDED", "A voided authorization cannot be captured or reauthorized.")
    if status == "EXPIRED":
        return unprocessable("AUTHORIZATION_EXPIRED", "An expired authorization cannot be captured.")
    if authorization.get("_closed"):
        why = "Authorization has been previously captured and hence cannot be captured again."
        return unprocessable("AUTHORIZATION_ALREADY_CAPTURED", why)
    return None
