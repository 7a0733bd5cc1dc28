"""Ceiling: the least work a correct webhook must do, in raw SQL, under the same ASGI server and flags as the service.

Litestar + an asyncpg pool of the service's default size. It verifies the Stripe signature with hmac over the raw
body (±300 s) and parses the event with msgspec; then ONE transaction of three statements (five round trips with
BEGIN and COMMIT):
1. the inbox row, written once with its outcome (ON CONFLICT (provider, event_id) DO NOTHING: a duplicate stops
   here), since the event is applied in the same transaction;
2. one conditional UPDATE of the payment (status, provider and amount checked, version bumped): it takes the row
   lock and applies the state machine's rule for this event in the same statement;
3. the audit row and the outbox row (one id) in one statement.
What a correct service cannot leave out: the signature, deduplication, the locked state change, the audit trail
(the API serves it) and the outbox row (the order system's callback). Same tables and indexes as the service
(the benchmark database), so the difference to the service is what its layers, and its extra statements, cost.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
import uvicorn
from litestar import Litestar, Request, post
from litestar.exceptions import HTTPException

TOLERANCE = 300
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_state: dict[str, Any] = {}


def new_id(prefix: str) -> str:
    value = (time.time_ns() // 1_000_000 << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return f"{prefix}_{''.join(reversed(chars))}"


def verified(header: str | None, body: bytes, secret: bytes) -> bool:
    if not header:
        return False
    parts = [item.partition("=") for item in header.split(",")]
    stamps = [value for key, _, value in parts if key == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(time.time() - int(stamps[0])) > TOLERANCE:
        return False
    wanted = hmac.new(secret, stamps[0].encode() + b"." + body, hashlib.sha256).hexdigest().encode()
    return any(hmac.compare_digest(wanted, value.encode()) for key, _, value in parts if key == "v1")


async def _init(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("jsonb", encoder=str, decoder=msgspec.json.decode, schema="pg_catalog")


async def startup() -> None:
    # No change notifications: they serve the service's status cache, which a raw webhook does not have. The
    # session setting makes the triggers of migration 0013 skip its writes, as they skip the service's (which
    # announces its changes itself, after commit).
    _state["pool"] = await asyncpg.create_pool(
        os.environ["BENCH_DATABASE_DSN"],
        min_size=10,
        max_size=10,
        init=_init,
        server_settings={"payments.announces_changes": "on"},
    )
    _state["secret"] = os.environ["BENCH_STRIPE_WEBHOOK_SECRET"].encode()


async def shutdown() -> None:
    await _state["pool"].close()


@post("/api/v1/webhooks/stripe", status_code=200)
async def stripe_webhook(request: Request[Any, Any, Any]) -> dict[str, Any]:
    body = await request.body()
    if not verified(request.headers.get("stripe-signature"), body, _state["secret"]):
        raise HTTPException(status_code=400, detail="invalid signature")
    event = msgspec.json.decode(body)
    session = event["data"]["object"]
    payment_id = (session.get("metadata") or {}).get("payment_id") or session.get("client_reference_id")
    headers = msgspec.json.encode({k.lower(): v for k, v in request.headers.items()}).decode()
    now = datetime.now(UTC)
    inbox_id = new_id("whe")
    paid = session.get("payment_status") == "paid"
    async with _state["pool"].acquire() as connection, connection.transaction():
        # 1. the event, once: written with its outcome, since it is applied in this same transaction
        stored = await connection.fetchval(
            "INSERT INTO webhook_events (id, provider, event_id, event_type, status, headers, body, received_at,"
            " processed_at, payment_id, attempts) VALUES ($1, 'stripe', $2, $3, 'processed', $4, $5, $6, $6, $7, 0)"
            " ON CONFLICT (provider, event_id) DO NOTHING RETURNING id",
            inbox_id, event["id"], event["type"], headers, body, now, payment_id,
        )  # fmt: skip
        if stored is None:
            return {"received": True, "id": inbox_id, "duplicate": True}
        # 2. the payment moves, if the state machine allows it: one conditional UPDATE takes the row lock, checks
        #    the status, the provider and the amount, and bumps the version
        payment = await connection.fetchrow(
            "UPDATE payments SET status = 'succeeded', updated_at = $2, version = version + 1"
            " WHERE id = $1 AND status = 'processing' AND provider = 'stripe' AND amount = $3"
            " RETURNING order_id, amount, currency",
            payment_id, now, session.get("amount_total") if paid else None,
        )  # fmt: skip
        if payment is None:  # not ours, not payable, or already moved: the event is recorded as ignored
            await connection.execute("UPDATE webhook_events SET status = 'ignored' WHERE id = $1", inbox_id)
            return {"received": True, "id": inbox_id, "duplicate": False}
        # 3. the audit row and the outbox row (same id), in one statement
        event_id = new_id("evt")
        data = {"amount": payment["amount"], "currency": payment["currency"]}
        envelope = {
            "id": event_id,
            "type": "payment.succeeded",
            "occurred_at": now.isoformat().replace("+00:00", "Z"),
            "payment_id": payment_id,
            "order_id": payment["order_id"],
            "from_status": "processing",
            "to_status": "succeeded",
            "source": "webhook",
            "actor": "stripe",
            "provider_event_id": event["id"],
            "data": data,
        }
        await connection.execute(
            "WITH audit AS (INSERT INTO payment_events (id, payment_id, at, type, from_status, to_status, source,"
            " actor, provider_event_id, data) VALUES ($1, $2, $3, 'payment.succeeded', 'processing', 'succeeded',"
            " 'webhook', 'stripe', $4, $5))"
            " INSERT INTO outbox (id, event_type, aggregate_id, payload, status, attempts, next_attempt_at,"
            " created_at) VALUES ($1, 'payment.succeeded', $2, $6, 'pending', 0, $3, $3)",
            event_id, payment_id, now, event["id"], msgspec.json.encode(data).decode(),
            msgspec.json.encode(envelope).decode(),
        )  # fmt: skip
    return {"received": True, "id": inbox_id, "duplicate": False}


app = Litestar([stripe_webhook], on_startup=[startup], on_shutdown=[shutdown])

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    # the flags `payments serve` passes (interfaces/cli/serve.py); loop and parser resolve to uvloop + httptools
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False, server_header=False)
