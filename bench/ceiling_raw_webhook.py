"""Ceiling: the webhook transaction in raw SQL, no layers, under the same ASGI server and flags as the service.

Litestar + an asyncpg pool of the service's default size. It verifies the Stripe signature with hmac over the raw
body (±300 s), parses the event with msgspec, then in ONE transaction: inserts the inbox row (ON CONFLICT DO
NOTHING on (provider, event_id)), locks the payment (FOR UPDATE), moves it to succeeded with a version bump,
inserts the audit row and the outbox row, marks the inbox row processed, commits. Same tables and indexes as
the service (the benchmark database), so the difference to the service is what its layers cost.
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
    _state["pool"] = await asyncpg.create_pool(os.environ["BENCH_DATABASE_DSN"], min_size=10, max_size=10, init=_init)
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
    async with _state["pool"].acquire() as connection, connection.transaction():
        stored = await connection.fetchval(
            "INSERT INTO webhook_events (id, provider, event_id, event_type, status, headers, body, received_at,"
            " attempts) VALUES ($1, 'stripe', $2, $3, 'received', $4, $5, $6, 0)"
            " ON CONFLICT (provider, event_id) DO NOTHING RETURNING id",
            inbox_id, event["id"], event["type"], headers, body, now,
        )  # fmt: skip
        if stored is None:
            return {"received": True, "id": inbox_id, "duplicate": True}
        payment = await connection.fetchrow(
            "SELECT order_id, status, amount, currency, provider, version FROM payments WHERE id = $1 FOR UPDATE",
            payment_id,
        )
        outcome = "failed"
        if payment is not None:
            outcome = "ignored"
            paid = session.get("payment_status") == "paid" and session.get("amount_total") == payment["amount"]
            if paid and payment["status"] == "processing" and payment["provider"] == "stripe":
                outcome = "processed"
                await connection.execute(
                    "UPDATE payments SET status = 'succeeded', updated_at = $2, version = version + 1"
                    " WHERE id = $1 AND version = $3",
                    payment_id, now, payment["version"],
                )  # fmt: skip
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
                    "INSERT INTO payment_events (id, payment_id, at, type, from_status, to_status, source, actor,"
                    " provider_event_id, data) VALUES ($1, $2, $3, 'payment.succeeded', 'processing', 'succeeded',"
                    " 'webhook', 'stripe', $4, $5)",
                    event_id, payment_id, now, event["id"], msgspec.json.encode(data).decode(),
                )  # fmt: skip
                await connection.execute(
                    "INSERT INTO outbox (id, event_type, aggregate_id, payload, status, attempts, next_attempt_at,"
                    " created_at) VALUES ($1, 'payment.succeeded', $2, $3, 'pending', 0, $4, $4)",
                    event_id, payment_id, msgspec.json.encode(envelope).decode(), now,
                )  # fmt: skip
        await connection.execute(
            "UPDATE webhook_events SET status = $2, processed_at = $3, payment_id = $4 WHERE id = $1",
            inbox_id, outcome, now, payment_id,
        )  # fmt: skip
    return {"received": True, "id": inbox_id, "duplicate": False}


app = Litestar([stripe_webhook], on_startup=[startup], on_shutdown=[shutdown])

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    # the flags `payments serve` passes (interfaces/cli/serve.py); loop and parser resolve to uvloop + httptools
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False, server_header=False)
