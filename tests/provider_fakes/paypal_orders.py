"""The fake PayPal's Orders v2 routes (https://developer.paypal.com/docs/api/orders/v2/): create an order (intent
CAPTURE or AUTHORIZE), show it, and complete an approved one as its intent says: capture it (the money is taken)
or authorize it (the funds are held; Payments v2 then captures or voids the authorization). Each can be done once:
a second capture is `422 ORDER_ALREADY_CAPTURED`, a second authorization `422 ORDER_ALREADY_AUTHORIZED`, the
other intent's call `422 ACTION_DOES_NOT_MATCH_INTENT`, an order not approved `422 ORDER_NOT_APPROVED`.

A mixin of `FakePayPal`, whose state it reads and changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from tests.provider_fakes.paypal_resources import (
    Json,
    amount_problem,
    new_authorization,
    new_capture,
    new_order,
    not_found,
    order_problem,
    public,
    unprocessable,
)

Answer = tuple[int, Json | None]


class OrderRoutes:
    orders: dict[str, Json]
    authorizations: dict[str, Json]
    captures: dict[str, Json]
    capture_status: str
    authorization_status: str
    _new_id: Callable[[], str]  # a new PayPal-style id (FakePayPal's)

    def _routes_of_orders(self) -> list[tuple[str, str, str, Any]]:
        return [
            ("POST", r"/v2/checkout/orders", "create_order", self._create_order),
            ("GET", r"/v2/checkout/orders/(\w+)", "get_order", self._get_order),
            ("POST", r"/v2/checkout/orders/(\w+)/capture", "capture", self._capture_order),
            ("POST", r"/v2/checkout/orders/(\w+)/authorize", "authorize", self._authorize_order),
        ]

    async def _create_order(self, _: re.Match[str], headers: dict[str, str], body: bytes) -> Answer:
        request = json.loads(body)
        units = request.get("purchase_units") or [{}]
        amount = units[0].get("amount") or {}
        problem = amount_problem(amount) or order_problem(request, units[0])
        if problem:
            return 422, problem
        order_id = self._new_id()
        self.orders[order_id] = new_order(order_id, request["intent"], units[0])
        return 200, public(self.orders[order_id])

    async def _get_order(self, match: re.Match[str], *_: Any) -> Answer:
        order = self.orders.get(match[1])
        return (200, public(order)) if order else (404, not_found(match[1]))

    async def _capture_order(self, match: re.Match[str], *_: Any) -> Answer:
        order, refused = self._approved(match[1], "CAPTURE")
        if order is None:
            return refused
        unit, capture_id = order["purchase_units"][0], self._new_id()
        path = f"/v2/checkout/orders/{order['id']}"
        capture = new_capture(capture_id, self.capture_status, unit["amount"], {**unit, "id": order["id"]}, final=True, up=path)  # fmt: skip
        unit["payments"] = {"captures": [capture], "refunds": []}
        self.captures[capture_id] = capture
        order["status"] = "COMPLETED"
        return 201, public(order)

    async def _authorize_order(self, match: re.Match[str], *_: Any) -> Answer:
        order, refused = self._approved(match[1], "AUTHORIZE")
        if order is None:
            return refused
        authorization = new_authorization(self._new_id(), order, self.authorization_status)
        order["purchase_units"][0]["payments"] = {"authorizations": [authorization], "captures": [], "refunds": []}
        self.authorizations[authorization["id"]] = authorization
        order["status"] = "COMPLETED"
        return 201, public(order)

    def _approved(self, order_id: str, intent: str) -> tuple[Json | None, Answer]:
        """The order to complete with `intent`, or PayPal's refusal."""
        order = self.orders.get(order_id)
        if order is None:
            return None, (404, not_found(order_id))
        if order["intent"] != intent:
            other = order["intent"].lower()
            issue = f"Order was created with an intent to '{order['intent']}'. Please use v2/checkout/orders/{order_id}/{other}."  # fmt: skip
            return None, (422, unprocessable("ACTION_DOES_NOT_MATCH_INTENT", issue))
        if order["status"] == "COMPLETED":
            done = "CAPTURED" if intent == "CAPTURE" else "AUTHORIZED"
            return None, (422, unprocessable(f"ORDER_ALREADY_{done}", f"Order already {done.lower()}."))
        if order["status"] != "APPROVED":
            return None, (422, unprocessable("ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment."))
        return order, (200, None)
