"""A fake Flutterwave v3 API (raw ASGI; serve it with `running(fake)`), speaking Flutterwave's wire format.

- `Authorization: Bearer <secret key>` on every call (401 otherwise); answers are the v3 envelope
  `{"status": "success"|"error", "message": "…", "data": …}` with amounts as decimal JSON numbers (`100.5`).
- POST /v3/payments, GET /v3/transactions/{id}/verify, GET /v3/transactions/verify_by_reference?tx_ref=,
  POST /v3/transactions/{id}/refund, GET /v3/refunds/{id}; unknown ids and tx_refs answer 400
  "No transaction was found for this id", like the real API.
- Switches: `fail_next` (answer an error status instead, doing nothing) and `slow_next` (do the work, then
  answer late: the dangerous case of a provider that acted but whose answer we never saw), per path.
- `requests` records every call, so a test can assert that exactly one refund was sent.
- Helpers play Flutterwave's side: `pay` (the customer pays: a numeric transaction id is assigned and the
  `charge.completed` webhook is returned, with its `verif-hash` header), `charge_webhook` (any, also forged),
  `complete_refund` (`refund.completed`), `v4_charge` + `v4_headers` (v4 events, both signature readings).
Webhooks are returned, not sent: the test delivers them, so it decides on duplicates and order.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import parse_qs

import msgspec

SECRET_KEY = "FLWSECK_TEST-0123456789abcdef0123456789abcdef-X"
SECRET_HASH = "fake-flutterwave-secret-hash-3f9a"
_ENCODER = msgspec.json.Encoder(decimal_format="number")
_NOT_FOUND = "No transaction was found for this id"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body, parse_float=Decimal)


@dataclass(frozen=True)
class Webhook:
    body: bytes
    headers: dict[str, str]


@dataclass
class _Fault:
    kind: Literal["fail", "slow"]
    remaining: int
    path: str | None
    status: int = 503
    seconds: float = 0.0


@dataclass
class FakeFlutterwave:
    secret_key: str = SECRET_KEY
    secret_hash: str = SECRET_HASH
    refund_status: str = "completed"  # what a new refund is (and is answered): "completed" | "pending" | "failed"
    requests: list[Recorded] = field(default_factory=list)
    checkouts: dict[str, dict[str, Any]] = field(default_factory=dict)  # tx_ref → the latest POST /v3/payments
    transactions: dict[int, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[int, dict[str, Any]] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(4_975_363))

    # ---- switches and records ------------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            for collection in (self.requests, self.checkouts, self.transactions, self.refunds, self._faults):
                collection.clear()
            self.refund_status = "completed"

    def fail_next(self, n: int = 1, status: int = 503, path: str | None = None) -> None:
        with self._lock:
            self._faults.append(_Fault("fail", n, path, status=status))

    def slow_next(self, n: int = 1, seconds: float = 2.0, path: str | None = None) -> None:
        with self._lock:
            self._faults.append(_Fault("slow", n, path, seconds=seconds))

    def calls(self, method: str | None = None, path_contains: str = "") -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if (method in (None, r.method)) and path_contains in r.path]

    # ---- Flutterwave's side ----------------------------------------------------------------------------------
    def pay(
        self,
        tx_ref: str,
        *,
        status: str = "successful",
        amount: Decimal | None = None,
        currency: str | None = None,
        processor_response: str | None = None,
    ) -> Webhook:
        """The customer pays (or fails to) on the hosted page: a new transaction for `tx_ref`, and its webhook."""
        with self._lock:
            checkout = self.checkouts[tx_ref]
            tx_id = next(self._ids)
            self.transactions[tx_id] = {
                "id": tx_id,
                "tx_ref": tx_ref,
                "flw_ref": f"FLW-MOCK-{uuid.uuid4().hex[:12]}",
                "amount": checkout["amount"] if amount is None else amount,
                "currency": checkout["currency"] if currency is None else currency,
                "charged_amount": checkout["amount"] if amount is None else amount,
                "processor_response": processor_response
                or ("Approved by Financial Institution" if status == "successful" else "Declined"),
                "status": status,
                "payment_type": "card",
                "created_at": "2025-01-02T03:04:05.000Z",
                "customer": checkout.get("customer", {}),
                "meta": checkout.get("meta"),
            }
        return self.charge_webhook(tx_id)

    def charge_webhook(self, tx_id: int, *, secret_hash: str | None = None, **overrides: Any) -> Webhook:
        """The v3 `charge.completed` for a transaction; `overrides` change what the webhook claims (forgeries)."""
        with self._lock:
            data = {**self.transactions.get(tx_id, {"id": tx_id}), **overrides}
        body = encode({"event": "charge.completed", "data": data, "event.type": "CARD_TRANSACTION"})
        return Webhook(body, {"Content-Type": "application/json", "verif-hash": secret_hash or self.secret_hash})

    def complete_refund(self, refund_id: int, status: str = "completed") -> Webhook:
        with self._lock:
            refund = self.refunds[refund_id]
            refund["status"] = status
            data = {
                "id": refund_id,
                "AmountRefunded": refund["amount_refunded"],
                "status": status,
                "FlwRef": refund["flw_ref"],
                "destination": "payment_source",
                "comments": refund["comments"],
                "settlement_id": "NEW",
                "meta": "{}",
                "createdAt": refund["created_at"],
                "updatedAt": refund["created_at"],
                "walletId": 74639,
                "AccountId": 73362,
                "TransactionId": refund["tx_id"],
            }
        body = encode({"event": "refund.completed", "data": data})
        return Webhook(body, {"Content-Type": "application/json", "verif-hash": self.secret_hash})

    def v4_charge(self, tx_ref: str, *, status: str = "succeeded", event_id: str | None = None) -> bytes:
        with self._lock:
            checkout = self.checkouts.get(tx_ref, {"amount": Decimal(100), "currency": "NGN"})
        data = {
            "id": f"chg_{uuid.uuid4().hex[:10]}",
            "amount": checkout["amount"],
            "currency": checkout["currency"],
            "status": status,
            "reference": tx_ref,
            "created_datetime": "2025-01-02T03:04:05.000Z",
        }
        return encode({"id": event_id or f"wbk_{uuid.uuid4().hex[:16]}", "type": "charge.completed", "data": data})

    def v4_headers(
        self, body: bytes, reading: Literal["equality", "hmac"], secret_hash: str | None = None
    ) -> dict[str, str]:
        secret = secret_hash or self.secret_hash
        value = secret if reading == "equality" else v4_hmac(secret, body)
        return {"Content-Type": "application/json", "flutterwave-signature": value}

    # ---- the HTTP side ---------------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        if path == "/__health":
            return await _respond(send, 200, {})
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode()
        with self._lock:
            self.requests.append(Recorded(method, path, query, headers, body))
            fault = self._take_fault(path)
        if headers.get("authorization") != f"Bearer {self.secret_key}":
            return await _respond(send, 401, _error("Invalid authorization key"))
        if fault is not None and fault.kind == "fail":
            return await _respond(send, fault.status, _error(f"simulated HTTP {fault.status}"))
        host, port = scope["server"]
        status, answer = self._route(method, path, parse_qs(query), body, f"http://{host}:{port}")
        if fault is not None:
            await asyncio.sleep(fault.seconds)  # the work is done; only the answer is late
        await _respond(send, status, answer)

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and (fault.path is None or fault.path in path):
                fault.remaining -= 1
                return fault
        return None

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes, base: str) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        with self._lock:
            if method == "POST" and parts == ["v3", "payments"]:
                return self._create_payment(json.loads(body, parse_float=Decimal), base)
            if method == "GET" and parts == ["v3", "transactions", "verify_by_reference"]:
                found = [t for t in self.transactions.values() if t["tx_ref"] == query.get("tx_ref", [""])[0]]
                found.sort(key=lambda t: (t["status"] == "successful", t["id"]))  # a success wins, else the latest
                return _found(found[-1] if found else None, "Transaction fetched successfully")
            if method == "GET" and len(parts) == 4 and parts[:2] == ["v3", "transactions"] and parts[3] == "verify":
                return _found(self.transactions.get(_int(parts[2])), "Transaction fetched successfully")
            if method == "POST" and len(parts) == 4 and parts[:2] == ["v3", "transactions"] and parts[3] == "refund":
                return self._refund(_int(parts[2]), json.loads(body or b"{}", parse_float=Decimal))
            if method == "GET" and len(parts) == 3 and parts[:2] == ["v3", "refunds"]:
                refund = self.refunds.get(_int(parts[2]))
                return (200, _ok("Refund fetched", refund)) if refund else (404, _error("Refund not found"))
        return 404, _error(f"Cannot {method} {path}")

    def _create_payment(self, request: dict[str, Any], base: str) -> tuple[int, Any]:
        for name in ("tx_ref", "amount", "currency", "redirect_url"):
            if not request.get(name):
                return 400, _error(f"{name} is required")
        if not isinstance(request.get("customer"), dict) or not request["customer"].get("email"):
            return 400, _error("customer.email is required")
        amount = Decimal(str(request["amount"]))  # a JSON number (parsed as Decimal) or a numeric string
        if amount <= 0:
            return 400, _error("amount must be greater than 0")
        self.checkouts[request["tx_ref"]] = {**request, "amount": amount}
        return 200, _ok("Hosted Link", {"link": f"{base}/v3/hosted/pay/{uuid.uuid4().hex[:20]}"})

    def _refund(self, tx_id: int, request: dict[str, Any]) -> tuple[int, Any]:
        tx = self.transactions.get(tx_id)
        if tx is None:
            return 400, _error(_NOT_FOUND)
        if tx["status"] != "successful":
            return 400, _error("Only successful transactions can be refunded")
        refunded = sum(
            (r["amount_refunded"] for r in self.refunds.values() if r["tx_id"] == tx_id and r["status"] != "failed"),
            Decimal(0),
        )
        amount = Decimal(str(request.get("amount", tx["amount"] - refunded)))
        if amount <= 0 or amount > tx["amount"] - refunded:
            return 400, _error("Refund amount cannot be greater than the transaction amount")
        refund_id = next(self._ids)
        self.refunds[refund_id] = refund = {
            "id": refund_id,
            "account_id": 73362,
            "tx_id": tx_id,
            "flw_ref": f"URF_{refund_id}_{uuid.uuid4().hex[:6]}",
            "wallet_id": 74639,
            "amount_refunded": amount,
            "status": self.refund_status,
            "destination": "payment_source",
            "meta": {"source": "availablebalance"},
            "comments": request.get("comments"),
            "created_at": "2025-01-02T04:05:06.000Z",
        }
        return 200, _ok("Transaction refund initiated", dict(refund))


def v4_hmac(secret_hash: str, body: bytes) -> str:
    """The HMAC reading of v4's `flutterwave-signature`, written independently of the adapter's."""
    return base64.b64encode(hmac.new(secret_hash.encode(), body, hashlib.sha256).digest()).decode()


def encode(document: Any) -> bytes:
    """JSON with Decimal amounts as plain numbers, the way Flutterwave writes them (`100.5`, `1000`)."""
    return _ENCODER.encode(_plain(document))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return Decimal(int(value)) if value == value.to_integral_value() else value.normalize()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _ok(message: str, data: Any) -> dict[str, Any]:
    return {"status": "success", "message": message, "data": data}


def _error(message: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "data": None}


def _found(record: dict[str, Any] | None, message: str) -> tuple[int, Any]:
    return (200, _ok(message, record)) if record else (400, _error(_NOT_FOUND))


def _int(text: str) -> int:
    return int(text) if text.isdigit() else -1


async def _respond(send: Any, status: int, document: Any) -> None:
    payload = encode(document)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
