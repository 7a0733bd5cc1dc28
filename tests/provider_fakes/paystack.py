"""A fake Paystack API (raw ASGI; serve it with `running(fake)`), speaking Paystack's wire format.

- Bearer secret key required (401 `Invalid key` otherwise); every answer is Paystack's envelope
  `{"status": true, "message": …, "data": …}`, errors `{"status": false, "message": …}` with 400/401/404.
- `POST /transaction/initialize` refuses a used reference ("Duplicate Transaction Reference") and references with
  characters Paystack does not allow; a new transaction is `abandoned` until someone pays, as on Paystack.
- `GET /transaction/verify/:reference`, `GET /transaction/:id`, `GET /transaction?from=&to=&perPage=&page=`
  (newest first, with `meta`), `POST /refund`, `GET /refund/:id`, `GET /refund?transaction=`.
- Switches: `delay(seconds, path=…)` answers the next N matching calls late, after doing the work (Paystack
  got the request; its answer is lost to our timeout); `fail(status, path=…)` answers them with an error
  without doing anything (429 with `Retry-After: 7`); `garble(path=…)` answers 200 with a non-JSON body.
- `calls` records every request, so a test can assert "exactly one refund call".
- Helpers that build and sign the webhooks Paystack would send (`charge_success`, `refund_event`, `deliver`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx

SECRET_KEY = "sk_test_" + "f" * 40
_REFERENCE = re.compile(r"[0-9A-Za-z.=-]+")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeTransaction:
    id: int
    reference: str
    amount: int
    currency: str
    email: str
    metadata: Any
    callback_url: str | None
    access_code: str
    status: str = "abandoned"
    gateway_response: str = "The transaction was not completed"
    paid_at: str | None = None
    created_at: str = field(default_factory=lambda: _now())

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "domain": "test",
            "status": self.status,
            "reference": self.reference,
            "receipt_number": None,
            "amount": self.amount,
            "message": None,
            "gateway_response": self.gateway_response,
            "paid_at": self.paid_at,
            "created_at": self.created_at,
            "channel": "card",
            "currency": self.currency,
            "ip_address": "154.118.28.239",
            "metadata": self.metadata if self.metadata is not None else "",
            "fees": 150,
            "customer": {"id": 24400059, "email": self.email, "customer_code": "CUS_rtk32xjyt1m6s6j"},
            "authorization": {"authorization_code": "AUTH_4lzvxi5a68", "last4": "4081", "brand": "visa"},
            "requested_amount": self.amount,
        }


@dataclass
class FakeRefund:
    id: int
    transaction: FakeTransaction
    amount: int
    currency: str
    merchant_note: str | None
    status: str = "pending"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "integration": 412829,
            "domain": "test",
            "transaction": {"id": self.transaction.id, "reference": self.transaction.reference},
            "dispute": None,
            "amount": self.amount,
            "deducted_amount": 0,
            "currency": self.currency,
            "channel": "card",
            "fully_deducted": False,
            "refunded_by": "merchant@example.com",
            "merchant_note": self.merchant_note,
            "customer_note": f"Refund for transaction {self.transaction.reference}",
            "status": self.status,
        }


@dataclass
class _Fault:
    path: str
    calls: int
    delay: float = 0.0
    status: int | None = None
    body: bytes | None = None


@dataclass
class FakePaystack:
    secret_key: str = SECRET_KEY
    transactions: dict[str, FakeTransaction] = field(default_factory=dict)
    refunds: dict[int, FakeRefund] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    _faults: list[_Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(302961))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- switches and records ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forgets everything (for a server shared by several tests)."""
        with self._lock:
            self.transactions.clear()
            self.refunds.clear()
            self.calls.clear()
            self._faults.clear()

    def delay(self, seconds: float, *, path: str = "/", calls: int = 1) -> None:
        """The next `calls` requests under `path` are done, then answered after `seconds`."""
        self._faults.append(_Fault(path, calls, delay=seconds))

    def fail(self, status: int = 500, *, path: str = "/", calls: int = 1) -> None:
        """The next `calls` requests under `path` are answered `status` without doing anything."""
        self._faults.append(_Fault(path, calls, status=status))

    def garble(self, *, path: str = "/", calls: int = 1) -> None:
        """The next `calls` requests under `path` get `200` with a body that is not Paystack's JSON."""
        self._faults.append(_Fault(path, calls, status=200, body=b"<html>upstream hiccup</html>"))

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(path)]

    # ---- what happens on Paystack's side -----------------------------------------------------------------
    def pay(self, reference: str, *, status: str = "success", amount: int | None = None) -> FakeTransaction:
        """The customer finishes (or fails) the checkout; `amount` lets a test make Paystack disagree with us."""
        transaction = self.transactions[reference]
        transaction.status, transaction.paid_at = status, "2025-01-02T03:05:00.000Z"
        transaction.gateway_response = "Successful" if status == "success" else "Declined"
        if amount is not None:
            transaction.amount = amount
        return transaction

    def charge_success(self, reference: str, *, amount: int | None = None) -> bytes:
        """The `charge.success` webhook Paystack sends for a transaction (amount as claimed, if given)."""
        data = self.transactions[reference].as_json()
        data.update(status="success", gateway_response="Successful", paid_at="2025-01-02T03:05:00.000Z")
        if amount is not None:
            data["amount"] = amount
        return json.dumps({"event": "charge.success", "data": data}).encode()

    def refund_event(
        self, refund_id: int, event: str = "refund.processed", *, amount_as_string: bool = True, with_id: bool = False
    ) -> bytes:
        """A refund webhook as Paystack sends it: it names the transaction (`transaction_reference`), the amount
        (a string in some events, an integer in others) and the processor's `refund_reference`, which nobody
        knew before; the refund's own `id` only when `with_id` (Paystack's bodies often lack it)."""
        refund = self.refunds[refund_id]
        refund.status = event.removeprefix("refund.")
        data: dict[str, Any] = {"id": refund.id} if with_id else {}
        data |= {
            "status": refund.status,
            "transaction_reference": refund.transaction.reference,
            "refund_reference": None if refund.status == "pending" else f"{1_320_133_180_000 + refund.id}",
            "amount": str(refund.amount) if amount_as_string else refund.amount,
            "currency": refund.currency,
            "processor": "mpgs_zen",
            "customer": {"first_name": "Ada", "last_name": "Lovelace", "email": refund.transaction.email},
            "integration": 412829,
            "domain": "test",
        }
        return json.dumps({"event": event, "data": data}).encode()

    def headers(self, body: bytes, secret_key: str | None = None) -> dict[str, str]:
        key = (secret_key or self.secret_key).encode()
        signature = hmac.new(key, body, hashlib.sha512).hexdigest()
        return {"Content-Type": "application/json", "x-paystack-signature": signature}

    def deliver(self, url: str, body: bytes, secret_key: str | None = None) -> httpx.Response:
        """POSTs a signed webhook to `url`, as Paystack does."""
        return httpx.post(url, content=body, headers=self.headers(body, secret_key), timeout=10)

    # ---- the API --------------------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        if path == "/__health":
            await _answer(send, 200, {"status": True})
            return
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.calls.append(Call(method, path, query, body))
        fault = self._take_fault(path)
        if fault is not None and fault.status is not None:
            await _answer(send, fault.status, {"status": False, "message": "Something went wrong"}, fault.body)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if headers.get("authorization") != f"Bearer {self.secret_key}":
            status, payload = 401, {"status": False, "message": "Invalid key"}
        else:
            with self._lock:
                status, payload = self._route(method, path, query, body)
        if fault is not None:
            await asyncio.sleep(fault.delay)
        await _answer(send, status, payload)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path) and fault.calls > 0:
                    fault.calls -= 1
                    return fault
        return None

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        if (method, path) == ("POST", "/transaction/initialize"):
            return self._initialize(body or {})
        if method == "GET" and path.startswith("/transaction/verify/"):
            transaction = self.transactions.get(path.removeprefix("/transaction/verify/"))
            if transaction is None:
                return 404, {"status": False, "message": "Transaction reference not found"}
            return 200, {"status": True, "message": "Verification successful", "data": transaction.as_json()}
        if (method, path) == ("GET", "/transaction"):
            return 200, self._list_transactions(query)
        if method == "GET" and path.removeprefix("/transaction/").isdigit():
            wanted = int(path.removeprefix("/transaction/"))
            found = [t for t in self.transactions.values() if t.id == wanted]
            if not found:
                return 404, {"status": False, "message": "Transaction not found"}
            return 200, {"status": True, "message": "Transaction retrieved", "data": found[0].as_json()}
        if (method, path) == ("POST", "/refund"):
            return self._create_refund(body or {})
        if (method, path) == ("GET", "/refund"):
            wanted = query.get("transaction") or query.get("reference")
            found = [r.as_json() for r in self.refunds.values() if wanted in (None, r.transaction.reference)]
            return 200, {"status": True, "message": "Refunds retrieved", "data": found}
        if method == "GET" and path.startswith("/refund/"):
            refund_id = path.removeprefix("/refund/")
            refund = self.refunds.get(int(refund_id)) if refund_id.isdigit() else None
            if refund is None:
                return 404, {"status": False, "message": "Refund not found"}
            return 200, {"status": True, "message": "Refund retrieved", "data": refund.as_json()}
        return 404, {"status": False, "message": "Not found"}

    def _list_transactions(self, query: dict[str, str]) -> dict[str, Any]:
        """GET /transaction: newest first, `perPage` (default 50) and `page` (from 1), `from`/`to` on created_at,
        Paystack's `meta` with the page count."""
        listed = sorted(self.transactions.values(), key=lambda t: (t.created_at, t.id), reverse=True)
        start, end = query.get("from"), query.get("to")
        listed = [
            t for t in listed if (start is None or t.created_at >= start) and (end is None or t.created_at <= end)
        ]
        per_page, page = int(query.get("perPage", "50")), int(query.get("page", "1"))
        shown = listed[(page - 1) * per_page : page * per_page]
        meta = {"total": len(listed), "skipped": (page - 1) * per_page, "perPage": per_page, "page": page}
        meta["pageCount"] = max(1, -(-len(listed) // per_page))
        return {"status": True, "message": "Transactions retrieved", "data": [t.as_json() for t in shown], "meta": meta}

    def _initialize(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        reference, amount = body.get("reference"), body.get("amount")
        if not isinstance(body.get("email"), str) or "@" not in body["email"]:
            return 400, {"status": False, "message": "Invalid Email Address Passed"}
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            return 400, {"status": False, "message": "Invalid Amount Sent"}
        if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference):
            return 400, {"status": False, "message": "Invalid transaction reference"}
        if reference in self.transactions:
            return 400, {"status": False, "message": "Duplicate Transaction Reference"}
        access_code = f"ac_{next(self._ids)}"
        self.transactions[reference] = FakeTransaction(
            id=next(self._ids),
            reference=reference,
            amount=amount,
            currency=str(body.get("currency", "NGN")),
            email=body["email"],
            metadata=body.get("metadata"),
            callback_url=body.get("callback_url"),
            access_code=access_code,
        )
        data = {
            "authorization_url": f"https://checkout.paystack.com/{access_code}",
            "access_code": access_code,
            "reference": reference,
        }
        return 200, {"status": True, "message": "Authorization URL created", "data": data}

    def _create_refund(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        transaction = self.transactions.get(str(body.get("transaction")))
        if transaction is None:
            return 404, {"status": False, "message": "Transaction not found"}
        if transaction.status != "success":
            return 400, {"status": False, "message": "Cannot refund a transaction that was not successful"}
        refunded = sum(r.amount for r in self.refunds.values() if r.transaction is transaction and r.status != "failed")
        amount = body.get("amount", transaction.amount - refunded)
        if not isinstance(amount, int) or amount <= 0 or amount > transaction.amount - refunded:
            return 400, {"status": False, "message": "Refund amount cannot be more than the transaction amount"}
        refund = FakeRefund(next(self._ids), transaction, amount, transaction.currency, body.get("merchant_note"))
        self.refunds[refund.id] = refund
        return 200, {"status": True, "message": "Refund has been queued for processing", "data": refund.as_json()}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def _answer(send: Any, status: int, payload: dict[str, Any], raw: bytes | None = None) -> None:
    body = json.dumps(payload).encode() if raw is None else raw
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 429:
        headers.append((b"retry-after", b"7"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
