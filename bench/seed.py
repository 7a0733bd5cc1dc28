"""The benchmark's data: a fresh database, migrated by the service itself, then filled with asyncpg COPY.

1,000,000 payments (by default) spread the way a live service's table looks: a year of history that grows
towards today, providers with the currencies they really carry, mostly succeeded, some failed, expired,
refunded and disputed, with refunds for the refunded ones. Besides them, two sets of payments a real Stripe
checkout would have left (`processing`, provider `stripe`, the Checkout Session id as `provider_reference`,
`payment.initiated` + `payment.checkout_session_created` in the audit trail and the outbox, relayed): one for
the service's webhook scenario and one for the raw-SQL ceiling, so both apply the same transition.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DAY = timedelta(days=1)

PROVIDERS = {  # provider → (share, {currency: share}) — roughly what each one carries
    "stripe": (0.45, {"USD": 0.5, "EUR": 0.25, "GBP": 0.15, "CAD": 0.1}),
    "paystack": (0.20, {"NGN": 0.7, "GHS": 0.15, "KES": 0.1, "ZAR": 0.05}),
    "flutterwave": (0.15, {"NGN": 0.5, "KES": 0.2, "GHS": 0.15, "UGX": 0.1, "USD": 0.05}),
    "paypal": (0.15, {"USD": 0.6, "EUR": 0.3, "GBP": 0.1}),
    "simulator": (0.05, {"USD": 1.0}),
}
STATUSES = {
    "succeeded": 0.785,
    "failed": 0.07,
    "expired": 0.06,
    "refunded": 0.03,
    "partially_refunded": 0.03,
    "cancelled": 0.01,
    "processing": 0.01,
    "disputed": 0.005,
}
PAYMENT_COLUMNS = [
    "id",
    "order_id",
    "amount",
    "currency",
    "provider",
    "status",
    "provider_reference",
    "checkout_url",
    "expires_at",
    "failure_reason",
    "return_url",
    "cancel_url",
    "callback_url",
    "customer_email",
    "customer_name",
    "description",
    "metadata",
    "created_at",
    "updated_at",
    "version",
]
_HAS_REFUND_PROVIDER = (
    "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'refunds' AND column_name = 'provider')"
)
REFUND_COLUMNS = [
    "id",
    "payment_id",
    "amount",
    "currency",
    "status",
    "reason",
    "note",
    "provider_reference",
    "failure_reason",
    "created_at",
    "updated_at",
    "provider",  # the payment's, copied for the listing's provider index (migration 0005)
]
EVENT_COLUMNS = [
    "id",
    "payment_id",
    "at",
    "type",
    "from_status",
    "to_status",
    "source",
    "actor",
    "provider_event_id",
    "data",
]
OUTBOX_COLUMNS = [
    "id",
    "event_type",
    "aggregate_id",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "published_at",
]


_LOADED_TABLES = ("payments", "refunds", "payment_events", "outbox")
# Indexes that back no constraint (primary keys and unique constraints stay: dropping them would drop more).
_SECONDARY_INDEXES = """
SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relname = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
"""


def sortable_id(prefix: str, moment: datetime, rng: random.Random) -> str:
    """The service's id format (`<prefix>_` + 26 Crockford base32 chars of a UUIDv7) for a given moment."""
    value = (int(moment.timestamp() * 1000) << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64)
    value |= (0b10 << 62) | rng.getrandbits(62)
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return f"{prefix}_{''.join(reversed(chars))}"


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def recreate_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(dsn(admin_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@dataclass(frozen=True)
class WebhookPayment:
    """A Stripe payment waiting for `checkout.session.completed`."""

    id: str
    order_id: str
    amount: int
    currency: str
    session_id: str
    payment_intent: str


@dataclass
class Seeded:
    payments: int
    refunds: int
    order_ids: list[str]  # a sample spread over the table, for status reads and the order_id filter (see seed())
    oldest: datetime
    newest: datetime
    webhook_service: list[WebhookPayment]
    webhook_raw: list[WebhookPayment]


def _choose(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _bulk_rows(
    count: int, now: datetime, rng: random.Random, stride: int
) -> tuple[list[tuple], list[tuple], list[str], datetime]:
    payments: list[tuple] = []
    refunds: list[tuple] = []
    sample: list[str] = []
    provider_names = list(PROVIDERS)
    provider_weights = [share for share, _ in PROVIDERS.values()]
    status_names, status_weights = list(STATUSES), list(STATUSES.values())
    year = 365 * DAY
    oldest = now
    providers = rng.choices(provider_names, weights=provider_weights, k=count)
    statuses = rng.choices(status_names, weights=status_weights, k=count)
    for n in range(count):
        # sqrt: more payments recently, as a growing business has
        created = now - year * (1 - rng.random() ** 0.5) - timedelta(minutes=5)
        oldest = min(oldest, created)
        provider = providers[n]
        currency = _choose(rng, PROVIDERS[provider][1])
        status = statuses[n]
        if status == "processing":  # a live checkout is recent; older ones would have expired
            created = now - timedelta(minutes=rng.randint(6, 55))
        amount = max(100, int(rng.lognormvariate(8.5, 1.2)))
        pay_id = sortable_id("pay", created, rng)
        order_id = f"ord-{n:07d}"
        reference = f"{_REFERENCE_PREFIX[provider]}{pay_id[4:]}"
        updated = created if status == "processing" else min(now, created + timedelta(seconds=rng.randint(20, 3600)))
        failure = "card_declined: Your card was declined." if status == "failed" else None
        metadata = json.dumps({"cart": f"c{n % 9973}"}) if n % 3 == 0 else "{}"
        payments.append(
            (
                pay_id,
                order_id,
                amount,
                currency,
                provider,
                status,
                reference,
                f"https://pay.example/{provider}/{reference}",
                created + timedelta(hours=1),
                failure,
                f"https://shop.example/orders/{order_id}/paid",
                None,
                None,
                f"customer{n % 50000}@example.com" if n % 2 else None,
                None,
                f"Order {order_id}",
                metadata,
                created,
                updated,
                2 if status != "processing" else 1,
            )
        )
        if n % stride == 0:
            sample.append(order_id)
        if status in ("refunded", "partially_refunded"):
            refund_at = min(now, created + timedelta(hours=rng.randint(1, 240)))
            refund_amount = amount if status == "refunded" else max(1, amount // rng.randint(2, 5))
            refund_id = sortable_id("re", refund_at, rng)
            refunds.append(
                (
                    refund_id,
                    pay_id,
                    refund_amount,
                    currency,
                    "succeeded",
                    "requested_by_customer",
                    None,
                    f"{_REFERENCE_PREFIX[provider]}re_{refund_id[3:]}",
                    None,
                    refund_at,
                    refund_at,
                    provider,
                )
            )
    return payments, refunds, sample, oldest


_REFERENCE_PREFIX = {
    "stripe": "cs_live_",
    "paystack": "ps_",
    "flutterwave": "flw_",
    "paypal": "PAYID-",
    "simulator": "sim_cs_",
}


def _webhook_rows(
    label: str, count: int, now: datetime, rng: random.Random
) -> tuple[list[WebhookPayment], list[tuple], list[tuple], list[tuple]]:
    """What a real Stripe checkout leaves: payment (version 1 after attaching the session), two audit rows,
    two outbox rows already relayed."""
    wanted: list[WebhookPayment] = []
    payments: list[tuple] = []
    events: list[tuple] = []
    outbox: list[tuple] = []
    for n in range(count):
        created = now - timedelta(minutes=10) + timedelta(microseconds=n * 7)
        attached = created + timedelta(milliseconds=180)
        pay_id = sortable_id("pay", created, rng)
        order_id = f"bench-{label}-{n:07d}"
        session = f"cs_test_a1{rng.getrandbits(160):040x}"
        checkout_url = f"https://checkout.stripe.com/c/pay/{session}"
        expires = created + timedelta(hours=1)
        amount = 1000 + n % 90000
        wanted.append(WebhookPayment(pay_id, order_id, amount, "USD", session, f"pi_3{rng.getrandbits(96):024x}"))
        payments.append(
            (
                pay_id,
                order_id,
                amount,
                "USD",
                "stripe",
                "processing",
                session,
                checkout_url,
                expires,
                None,
                f"https://shop.example/orders/{order_id}/paid",
                f"https://shop.example/orders/{order_id}",
                None,
                f"buyer{n}@example.com",
                "A. Buyer",
                f"Order {order_id}",
                "{}",
                created,
                attached,
                1,
            )
        )
        initiated = {"amount": amount, "currency": "USD", "provider": "stripe"}
        session_data = {"provider_reference": session, "checkout_url": checkout_url, "expires_at": _rfc3339(expires)}
        for at, kind, before, data in (
            (created, "payment.initiated", None, initiated),
            (attached, "payment.checkout_session_created", "processing", session_data),
        ):
            event_id = sortable_id("evt", at, rng)
            events.append((event_id, pay_id, at, kind, before, "processing", "api", "orders", None, json.dumps(data)))
            envelope = {
                "id": event_id,
                "type": kind,
                "occurred_at": _rfc3339(at),
                "payment_id": pay_id,
                "order_id": order_id,
                "from_status": before,
                "to_status": "processing",
                "source": "api",
                "actor": "orders",
                "provider_event_id": None,
                "data": data,
            }
            outbox.append((event_id, kind, pay_id, json.dumps(envelope), "relayed", 1, at, at, at))
    return wanted, payments, events, outbox


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def seed(url: str, rows: int, webhook_payments: int, sample_size: int, *, seed_value: int = 20261122) -> Seeded:
    """`sample_size`: how many distinct order ids `Seeded.order_ids` should hold. Every k-th row, k as large as
    still gives that many (k = rows // sample_size, e.g. every 45th of 1,000,000 for 22,000), so the sample is
    spread over the whole table; when the table has fewer rows than that, the sample is every row. The rows
    themselves do not depend on it (the same seed gives the same table)."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    payments, refunds, sample, oldest = _bulk_rows(rows, now, rng, max(1, rows // max(1, sample_size)))
    service, service_rows, service_events, service_outbox = _webhook_rows("whs", webhook_payments, now, rng)
    raw, raw_rows, raw_events, raw_outbox = _webhook_rows("whr", webhook_payments, now, rng)
    connection = await asyncpg.connect(dsn(url))
    try:
        # COPY is binary: jsonb's binary form is a version byte and the text
        await connection.set_type_codec(
            "jsonb",
            encoder=lambda text: b"\x01" + text.encode(),
            decoder=lambda data: json.loads(data[1:]),
            schema="pg_catalog",
            format="binary",
        )
        async with connection.transaction():
            # Building indexes once after the load is several times faster than maintaining them row by row.
            await connection.execute("SET LOCAL maintenance_work_mem = '256MB'")
            indexes = await connection.fetch(_SECONDARY_INDEXES, list(_LOADED_TABLES))
            for index in indexes:
                await connection.execute(f'DROP INDEX "{index["name"]}"')
            for batch in (payments, service_rows, raw_rows):
                await connection.copy_records_to_table("payments", records=batch, columns=PAYMENT_COLUMNS)
            # an older checkout (`--app-dir`, before migration 0005) has no refunds.provider: leave it out there
            refund_columns = REFUND_COLUMNS
            if not await connection.fetchval(_HAS_REFUND_PROVIDER):
                keep = [n for n, name in enumerate(REFUND_COLUMNS) if name != "provider"]
                refund_columns = [REFUND_COLUMNS[n] for n in keep]
                refunds = [tuple(row[n] for n in keep) for row in refunds]
            await connection.copy_records_to_table("refunds", records=refunds, columns=refund_columns)
            await connection.copy_records_to_table(
                "payment_events", records=service_events + raw_events, columns=EVENT_COLUMNS
            )
            await connection.copy_records_to_table(
                "outbox", records=service_outbox + raw_outbox, columns=OUTBOX_COLUMNS
            )
            for index in indexes:
                await connection.execute(index["definition"])
    finally:
        await connection.close()
    return Seeded(rows + 2 * webhook_payments, len(refunds), sample, oldest, now, service, raw)


async def vacuum_analyze(url: str) -> None:
    connection = await asyncpg.connect(dsn(url))
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def admin_url() -> str:
    return os.environ.get("PAYMENTS_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
