"""The fake PayPal's resources as Orders v2 and Payments v2 show them (orders, authorizations, captures, refunds),
PayPal's error shape (`name`, `message`, `debug_id`, `details[{issue, description}]`) and its checks on what we
send. https://developer.paypal.com/docs/api/orders/v2/, https://developer.paypal.com/docs/api/payments/v2/,
https://developer.paypal.com/api/rest/responses/.

Written from PayPal's documentation, not from the adapter: nothing here imports the code under test.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.provider_fakes.paypal_webhooks import paypal_time

API = "https://api.sandbox.paypal.com"
ZERO_DECIMAL = frozenset({"HUF", "JPY", "TWD"})  # PayPal refuses decimals for these
AUTHORIZATION_LIFETIME = timedelta(days=29)  # an authorization is valid 29 days (honoured for the first 3)

Json = dict[str, Any]


def link(path: str, rel: str, method: str = "GET") -> Json:
    return {"href": f"{API}{path}", "rel": rel, "method": method}


def new_order(order_id: str, intent: str, unit: Json) -> Json:
    return {
        "id": order_id,
        "intent": intent,
        "status": "PAYER_ACTION_REQUIRED",
        "payment_source": {"paypal": {}},
        "purchase_units": [{**unit, "payee": {"merchant_id": "FAKEMERCHANT1"}}],
        "create_time": paypal_time(),
        "links": [
            link(f"/v2/checkout/orders/{order_id}", "self"),
            {"href": f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}", "rel": "payer-action", "method": "GET"},
        ],
    }  # fmt: skip


def new_authorization(authorization_id: str, order: Json, status: str) -> Json:
    unit, now = order["purchase_units"][0], datetime.now(UTC)
    path = f"/v2/payments/authorizations/{authorization_id}"
    authorization = {
        "id": authorization_id,
        "status": status,
        "amount": unit["amount"],
        "custom_id": unit.get("custom_id"),
        "invoice_id": unit.get("invoice_id"),
        "seller_protection": {"status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"]},
        "expiration_time": paypal_time(now + AUTHORIZATION_LIFETIME),
        "create_time": paypal_time(now),
        "update_time": paypal_time(now),
        "supplementary_data": {"related_ids": {"order_id": order["id"]}},
        "links": [link(path, "self"), link(f"{path}/capture", "capture", "POST"), link(f"{path}/void", "void", "POST"),
                  link(f"{path}/reauthorize", "reauthorize", "POST"), link(f"/v2/checkout/orders/{order['id']}", "up")],
    }  # fmt: skip
    if status == "PENDING":
        authorization["status_details"] = {"reason": "PENDING_REVIEW"}
    return authorization


def new_capture(capture_id: str, status: str, amount: Json, source: Json, *, final: bool, up: str) -> Json:
    """A capture of an order or of an authorization (`source`): it carries the source's custom_id and invoice_id
    and names the order (and the authorization) it came from; `up` is the path of what it captured."""
    related = source.get("supplementary_data", {}).get("related_ids", {})
    related_ids = {"order_id": related.get("order_id", source["id"])}
    if up.startswith("/v2/payments/authorizations/"):
        related_ids["authorization_id"] = source["id"]
    capture = {
        "id": capture_id,
        "status": status,
        "amount": amount,
        "final_capture": final,
        "custom_id": source.get("custom_id"),
        "invoice_id": source.get("invoice_id"),
        "supplementary_data": {"related_ids": related_ids},
        "create_time": paypal_time(),
        "update_time": paypal_time(),
        "links": [link(f"/v2/payments/captures/{capture_id}", "self"),
                  link(f"/v2/payments/captures/{capture_id}/refund", "refund", "POST"), link(up, "up")],
    }  # fmt: skip
    if status == "PENDING":
        capture["status_details"] = {"reason": "PENDING_REVIEW"}
    return capture


def new_refund(refund_id: str, status: str, amount: Json, request: Json, capture_id: str) -> Json:
    return {
        "id": refund_id,
        "status": status,
        "amount": amount,
        "custom_id": request.get("custom_id"),
        "invoice_id": request.get("invoice_id"),
        "note_to_payer": request.get("note_to_payer"),
        "create_time": paypal_time(),
        "links": [link(f"/v2/payments/refunds/{refund_id}", "self"), link(f"/v2/payments/captures/{capture_id}", "up")],
        "_capture_id": capture_id,
    }


def public(resource: Json | None) -> Json:
    """What PayPal shows: without the fake's bookkeeping keys (`_…`), at any depth."""
    return _shown(copy.deepcopy(resource or {}))


def _shown(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def amount_problem(amount: Json) -> Json | None:
    value, currency = str(amount.get("value", "")), amount.get("currency_code", "")
    pattern = r"\d+" if currency in ZERO_DECIMAL else r"\d+\.\d{2}"
    if re.fullmatch(pattern, value) and Decimal(value) > 0:
        return None
    issue = "DECIMALS_NOT_SUPPORTED" if currency in ZERO_DECIMAL else "DECIMAL_PRECISION"
    return unprocessable(issue, f"The amount {value!r} {currency} is not valid for the currency.")


def order_problem(request: Json, unit: Json) -> Json | None:
    if request.get("intent") not in ("CAPTURE", "AUTHORIZE"):
        return unprocessable("INVALID_PARAMETER_VALUE", "intent must be CAPTURE or AUTHORIZE")
    if not re.fullmatch(r"[A-Za-z0-9\-_.,]{1,127}", str(unit.get("custom_id", ""))):
        return unprocessable("INVALID_PARAMETER_SYNTAX", "custom_id does not match the required pattern")
    return None


def error(name: str, message: str, issue: str | None = None, description: str | None = None) -> Json:
    details = [{"issue": issue, "description": description or message}] if issue else []
    return {"name": name, "message": message, "debug_id": uuid.uuid4().hex[:13], "details": details}


def unprocessable(issue: str, description: str) -> Json:
    message = "The requested action could not be performed, semantically incorrect, or failed business validation."
    return error("UNPROCESSABLE_ENTITY", message, issue, description)


def not_found(resource_id: str) -> Json:
    return error("RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID", resource_id)
