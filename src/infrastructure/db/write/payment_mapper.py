"""Row ↔ aggregate mapping for payments and their refunds. Explicit, so the round trip is tested, not hoped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from domain.payments.payment import CaptureMode, CheckoutDetails, Payment
from domain.payments.refund import Refund, RefundReason
from domain.payments.status import PaymentStatus, RefundStatus
from domain.shared.money import Currency, Money
from infrastructure.db.tables import payments, refunds
from infrastructure.db.write.risk_columns import risk_from_row, risk_values

REFUND_PREFIX = "refund_"
# Refund columns that repeat the payment's own (the provider is copied for the listing's index): not loaded again.
_PAYMENT_COPIES = frozenset({"payment_id", "provider"})
# One row per refund (or one row with NULL refund columns): a payment and its refunds in a single statement.
LOAD_COLUMNS: tuple[sa.ColumnElement[Any], ...] = (
    *payments.c,
    *(column.label(REFUND_PREFIX + column.name) for column in refunds.c if column.name not in _PAYMENT_COPIES),
)


def select_with_refunds(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """Payments matching `where`, each with its refunds oldest first, as `LOAD_COLUMNS` rows."""
    return (
        sa.select(*LOAD_COLUMNS)
        .select_from(payments.outerjoin(refunds, refunds.c.payment_id == payments.c.id))
        .where(where)
        .order_by(refunds.c.created_at, refunds.c.id)
    )


def payment_values(payment: Payment) -> dict[str, Any]:
    """Every payments column but `version`, which only the repository moves."""
    details = payment.details
    return {
        "id": payment.id,
        "order_id": payment.order_id,
        "amount": payment.amount.amount,
        "currency": payment.amount.currency.code,
        "provider": payment.provider,
        "status": payment.status.value,
        "provider_reference": payment.provider_reference,
        "checkout_url": payment.checkout_url,
        "expires_at": payment.expires_at,
        "failure_reason": payment.failure_reason,
        "return_url": details.return_url,
        "cancel_url": details.cancel_url,
        "callback_url": details.callback_url,
        "customer_email": details.customer_email,
        "customer_name": details.customer_name,
        "description": details.description,
        "metadata": dict(details.metadata),
        "capture_mode": payment.capture.value,
        "amount_captured": payment.amount_captured,
        "capture_requested": payment.capture_requested,
        "paid_after_cancel": payment.paid_after_cancel,
        "providers_tried": list(payment.providers_tried),
        "created_at": payment.created_at,
        "updated_at": payment.updated_at,
        "customer_ip": details.customer_ip,
        "customer_country": details.customer_country,
        **risk_values(payment.risk),
    }


def refund_values(payment: Payment, refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "payment_id": payment.id,
        "provider": payment.provider,
        "amount": refund.amount.amount,
        "currency": refund.amount.currency.code,
        "status": refund.status.value,
        "reason": refund.reason.value,
        "note": refund.note,
        "provider_reference": refund.provider_reference,
        "failure_reason": refund.failure_reason,
        "created_at": refund.created_at,
        "updated_at": refund.updated_at,
    }


def payment_from_rows(rows: Sequence[Mapping[str, Any]]) -> Payment:
    """Rebuilds the aggregate from the rows of a `LOAD_COLUMNS` select (payment LEFT JOIN refunds)."""
    payment = payment_from_row(rows[0])
    payment.refunds = [refund_from_row(r, REFUND_PREFIX) for r in rows if r[REFUND_PREFIX + "id"] is not None]
    return payment


def payment_from_row(row: Mapping[str, Any]) -> Payment:
    """The aggregate without its refunds, from any mapping with the payments columns (SQLAlchemy or asyncpg)."""
    return Payment(
        id=row["id"],
        order_id=row["order_id"],
        amount=Money(row["amount"], Currency(row["currency"])),
        provider=row["provider"],
        status=PaymentStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        details=CheckoutDetails(
            return_url=row["return_url"],
            cancel_url=row["cancel_url"],
            callback_url=row["callback_url"],
            customer_email=row["customer_email"],
            customer_name=row["customer_name"],
            description=row["description"],
            metadata=dict(row["metadata"] or {}),
            customer_ip=row["customer_ip"],
            customer_country=row["customer_country"],
        ),
        provider_reference=row["provider_reference"],
        checkout_url=row["checkout_url"],
        expires_at=row["expires_at"],
        failure_reason=row["failure_reason"],
        capture=CaptureMode(row["capture_mode"]),
        amount_captured=row["amount_captured"],
        capture_requested=row["capture_requested"],
        paid_after_cancel=bool(row["paid_after_cancel"]),
        providers_tried=tuple(row["providers_tried"] or (row["provider"],)),
        risk=risk_from_row(row),
        version=row["version"],
    )


def refund_from_row(row: Mapping[str, Any], prefix: str = "") -> Refund:
    """A refund from the refunds columns, each named `prefix` + column name."""

    def value(name: str) -> Any:
        return row[prefix + name]

    return Refund(
        id=value("id"),
        amount=Money(value("amount"), Currency(value("currency"))),
        reason=RefundReason(value("reason")),
        status=RefundStatus(value("status")),
        created_at=value("created_at"),
        updated_at=value("updated_at"),
        note=value("note"),
        provider_reference=value("provider_reference"),
        failure_reason=value("failure_reason"),
    )
