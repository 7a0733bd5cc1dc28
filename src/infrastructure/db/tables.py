"""The schema, as SQLAlchemy Core tables. Alembic migrations create it; a test keeps both in step.

Ids are the application's sortable prefixed strings (`pay_…`, `re_…`, `evt_…`, `whe_…`, `key_…`), so `(created_at,
id)` is a total order for keyset pagination. Money is BIGINT minor units; timestamps are aware UTC.
"""

from __future__ import annotations

import sqlalchemy as sa

from domain.payments.status import LIVE_STATUSES
from infrastructure.db.column_types import UtcDateTime, json_type

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = sa.String(64)
STATUS = sa.String(32)
REFERENCE = sa.String(255)
TRACE_CONTEXT_LENGTH = 128  # a version-00 traceparent is 55 characters; room for a later version's fields

# The statuses in which an order "has" its payment, spelled out for the partial index (sorted: stable DDL).
LIVE_STATUS_VALUES = tuple(sorted(s.value for s in LIVE_STATUSES))

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("order_id", REFERENCE, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("status", STATUS, nullable=False),
    sa.Column("provider_reference", REFERENCE),
    sa.Column("checkout_url", sa.Text),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("failure_reason", sa.Text),
    sa.Column("return_url", sa.Text),
    sa.Column("cancel_url", sa.Text),
    sa.Column("callback_url", sa.Text),
    sa.Column("customer_email", sa.String(320)),
    sa.Column("customer_name", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("metadata", json_type(), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("0")),
    # authorize now, capture later (0007): automatic | manual; what a capture took; a capture not yet confirmed
    sa.Column("capture_mode", sa.String(16), nullable=False, server_default=sa.text("'automatic'")),
    sa.Column("amount_captured", sa.BigInteger),
    sa.Column("capture_requested", sa.BigInteger),
    # the provider took the money after we had cancelled or expired the payment (0007)
    sa.Column("paid_after_cancel", sa.Boolean, nullable=False, server_default=sa.false()),
    # every provider asked for this checkout, in order (failover, 0009); NULL on older rows: just `provider`
    sa.Column("providers_tried", json_type()),
    # the janitor's schedule for asking the provider about a payment stuck in processing (growing gaps)
    sa.Column("checks", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("next_check_at", UtcDateTime),
    sa.Index("ix_payments_status_next_check_at", "status", "next_check_at"),
    # risk checks at checkout (0011): the customer's IP and country, and what the check decided (NULL: none ran)
    sa.Column("customer_ip", sa.String(45)),
    sa.Column("customer_country", sa.String(2)),
    sa.Column("risk_decision", sa.String(16)),
    sa.Column("risk_score", sa.Integer),
    sa.Column("risk_reasons", json_type()),
    # the velocity counts (infrastructure/db/write/recent_checkouts.py; by e-mail: below) and the ?risk= filter
    sa.Index("ix_payments_customer_ip_created_at", "customer_ip", "created_at"),
    sa.Index("ix_payments_risk_decision_created_at_id", "risk_decision", "created_at", "id"),
)
# Velocity by e-mail whatever its case (0012): the count compares lower(customer_email)
sa.Index("ix_payments_customer_email_lower_created_at", sa.func.lower(payments.c.customer_email), payments.c.created_at)
# One live payment per order, enforced by the store so that concurrent checkouts cannot both win. A payment paid
# after its cancellation is left out (0007): the money moved, so it must be able to succeed beside a new checkout.
_live = sa.and_(payments.c.status.in_(LIVE_STATUS_VALUES), payments.c.paid_after_cancel == sa.false())
sa.Index(
    "uq_payments_live_order",
    payments.c.order_id,
    unique=True,
    sqlite_where=_live,
    postgresql_where=_live,
)
sa.Index("ix_payments_order_id_created_at", payments.c.order_id, payments.c.created_at)
# Reference first: lookups by a provider's reference alone (GET /transactions/{reference}) use it too.
sa.Index("ix_payments_provider_reference_provider", payments.c.provider_reference, payments.c.provider)
sa.Index("ix_payments_created_at_id", payments.c.created_at, payments.c.id)
sa.Index("ix_payments_status_created_at_id", payments.c.status, payments.c.created_at, payments.c.id)
sa.Index("ix_payments_provider_created_at_id", payments.c.provider, payments.c.created_at, payments.c.id)
sa.Index("ix_payments_currency_created_at_id", payments.c.currency, payments.c.created_at, payments.c.id)
# provider + currency together (0004): a provider that never carries a currency would otherwise walk its whole index
sa.Index(
    "ix_payments_provider_currency_created_at_id",
    payments.c.provider,
    payments.c.currency,
    payments.c.created_at,
    payments.c.id,
)

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("payment_id", ID, sa.ForeignKey("payments.id"), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", STATUS, nullable=False),
    sa.Column("reason", STATUS, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("provider_reference", REFERENCE),
    sa.Column("failure_reason", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_refunds_payment_id", "payment_id"),
    sa.Index("ix_refunds_provider_reference", "provider_reference"),
    sa.Index("ix_refunds_created_at_id", "created_at", "id"),
    sa.Index("ix_refunds_status_created_at_id", "status", "created_at", "id"),
    sa.Index("ix_refunds_currency_created_at_id", "currency", "created_at", "id"),  # 0004
    # the janitor's schedule for asking the provider about a refund stuck in pending
    sa.Column("checks", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("next_check_at", UtcDateTime),
    sa.Index("ix_refunds_status_next_check_at", "status", "next_check_at"),
    # the payment's provider, copied (0005; it never changes), so the listing's provider filter has its own index
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Index("ix_refunds_provider_created_at_id", "provider", "created_at", "id"),
)

# The audit trail: every domain event, with who or what caused it. Never updated.
payment_events = sa.Table(
    "payment_events",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("payment_id", ID, sa.ForeignKey("payments.id"), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("from_status", STATUS),
    sa.Column("to_status", STATUS),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("actor", REFERENCE),
    sa.Column("provider_event_id", REFERENCE),
    sa.Column("data", json_type(), nullable=False),
    sa.Index("ix_payment_events_payment_id_at_id", "payment_id", "at", "id"),
)

# Domain events waiting to be published, written in the business transaction (same id as the audit row).
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("aggregate_id", ID, nullable=False),
    sa.Column("payload", json_type(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'pending'")),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("published_at", UtcDateTime),
    sa.Column("last_error", sa.Text),
    # a worker's lease on the row while it relays it outside any transaction; an expired lease (a killed
    # worker) lets another worker claim the row again, so nothing is lost and nothing waits forever
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_until", UtcDateTime),
    # the W3C traceparent of the transaction that wrote the row (tracing on), continued by the relay (0008)
    sa.Column("trace_context", sa.String(TRACE_CONTEXT_LENGTH)),
    sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

# The webhook inbox: each provider event stored once, whatever became of it.
webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("event_id", REFERENCE, nullable=False),
    sa.Column("event_type", REFERENCE, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'received'")),
    sa.Column("reason", sa.Text),
    sa.Column("payment_id", ID),  # no foreign key: an event may name a payment we do not know (yet)
    sa.Column("headers", json_type(), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("processed_at", UtcDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("next_attempt_at", UtcDateTime),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_until", UtcDateTime),
    # the retention job dropped the raw body and headers (PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS, 0009)
    sa.Column("body_purged_at", UtcDateTime),
    sa.UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event_id"),
    sa.Index("ix_webhook_events_status_next_attempt_at", "status", "next_attempt_at"),
    sa.Index("ix_webhook_events_provider_received_at", "provider", "received_at"),
    sa.Index("ix_webhook_events_received_at", "received_at"),
)

# Idempotency-Key records, per API key (`owner`).
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("owner", REFERENCE, primary_key=True),
    sa.Column("key", REFERENCE, primary_key=True),
    sa.Column("fingerprint", sa.String(128), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # in_flight | completed
    sa.Column("response_status", sa.Integer),
    sa.Column("response_body", sa.LargeBinary),
    sa.Column("content_type", REFERENCE),
    sa.Column("location", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Index("ix_idempotency_keys_expires_at", "expires_at"),  # purging expired keys
)

# API keys created with the CLI: only the SHA-256 of the key is kept.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", REFERENCE, nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("scopes", json_type(), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("last_used_at", UtcDateTime),  # console: written at most once a minute per key and process
    sa.UniqueConstraint("name", name="uq_api_keys_name"),
    sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
)


# Admin console sessions (interfaces/admin): only the SHA-256 of the cookie's token is kept. `key_hash` is the
# signed-in key's digest, so revoking a stored key ends its sessions; `last_seen_at` drives the idle expiry.
admin_sessions = sa.Table(
    "admin_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("key_name", REFERENCE, nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("scopes", json_type(), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Index("ix_admin_sessions_last_seen_at", "last_seen_at"),  # purging idle sessions
)


# Signed order callbacks: one row per (outbox event, callback URL), delivered at least once with backoff.
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("event_id", ID, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("payment_id", ID, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),  # the exact bytes signed and sent, the same every time
    sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'pending'")),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_until", UtcDateTime),
    sa.Column("trace_context", sa.String(TRACE_CONTEXT_LENGTH)),  # the relay's traceparent, continued on delivery
    sa.UniqueConstraint("event_id", "url", name="uq_notifications_event_id_url"),
    sa.Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    sa.Index("ix_notifications_created_at_id", "created_at", "id"),
)

# Every delivery attempt of a notification: when, what came back, how long it took.
notification_attempts = sa.Table(
    "notification_attempts",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("notification_id", ID, sa.ForeignKey("notifications.id"), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # delivered, failed
    sa.Column("status_code", sa.Integer),
    sa.Column("latency_ms", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("worker", sa.String(64)),
    sa.Index("ix_notification_attempts_notification_id_at", "notification_id", "at"),
)

# The admin console's payment page lists a payment's webhook events and callbacks (0010).
sa.Index("ix_webhook_events_payment_id_received_at", webhook_events.c.payment_id, webhook_events.c.received_at)
sa.Index("ix_notifications_payment_id_created_at", notifications.c.payment_id, notifications.c.created_at)
