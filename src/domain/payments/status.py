"""Payment and refund statuses and the one table that says which moves are allowed."""

from collections.abc import Mapping
from enum import StrEnum


class PaymentStatus(StrEnum):
    PROCESSING = "processing"
    AUTHORIZED = "authorized"  # manual capture: the funds are held, nothing is taken yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    DISPUTED = "disputed"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


_S = PaymentStatus

TRANSITIONS: Mapping[PaymentStatus, frozenset[PaymentStatus]] = {
    _S.PROCESSING: frozenset({_S.SUCCEEDED, _S.FAILED, _S.EXPIRED, _S.CANCELLED, _S.AUTHORIZED}),
    # captured, voided, or the hold lapsed
    _S.AUTHORIZED: frozenset({_S.SUCCEEDED, _S.CANCELLED, _S.EXPIRED}),
    _S.SUCCEEDED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED, _S.DISPUTED}),
    # a second partial refund keeps the status; the self-move is recorded as its own event
    _S.PARTIALLY_REFUNDED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED, _S.DISPUTED}),
    _S.FAILED: frozenset(),
    # the provider's word about money that really moved wins over ours: paid after we cancelled or expired it
    _S.EXPIRED: frozenset({_S.SUCCEEDED}),
    _S.CANCELLED: frozenset({_S.SUCCEEDED}),
    _S.REFUNDED: frozenset(),
    _S.DISPUTED: frozenset(),
}

# Statuses in which the order counts as having "its" payment: a new checkout must not start beside them.
LIVE_STATUSES: frozenset[PaymentStatus] = frozenset(
    {_S.PROCESSING, _S.AUTHORIZED, _S.SUCCEEDED, _S.PARTIALLY_REFUNDED, _S.REFUNDED, _S.DISPUTED}
)
OPEN_STATUSES: frozenset[PaymentStatus] = frozenset({_S.PROCESSING, _S.AUTHORIZED})  # money not taken yet
PAID_STATUSES: frozenset[PaymentStatus] = LIVE_STATUSES - OPEN_STATUSES
CANCELLABLE_STATUSES: frozenset[PaymentStatus] = OPEN_STATUSES
# Payments we no longer want paid: a provider that took money anyway is obeyed (paid after cancel), but we never
# ask one to take it (PayPal's capture of an approved order)
CALLED_OFF: frozenset[PaymentStatus] = frozenset({_S.CANCELLED, _S.EXPIRED, _S.FAILED})
REFUNDABLE_STATUSES: frozenset[PaymentStatus] = frozenset({_S.SUCCEEDED, _S.PARTIALLY_REFUNDED})


def _reachable(starts: frozenset[PaymentStatus]) -> frozenset[PaymentStatus]:
    found, frontier = set(starts), list(starts)
    while frontier:
        for target in TRANSITIONS[frontier.pop()] - found:
            found.add(target)
            frontier.append(target)
    return frozenset(found)


# Statuses no refundable status leads to: a payment in one has never had money to refund, so it has no refunds
# (a refund is only ever asked of a refundable payment). Locking such a payment need not read its refunds.
WITHOUT_REFUNDS: frozenset[PaymentStatus] = frozenset(PaymentStatus) - _reachable(REFUNDABLE_STATUSES)


def can_move(current: PaymentStatus, target: PaymentStatus) -> bool:
    return target in TRANSITIONS[current]


# How a sentence says that a payment or refund is in a status: "This payment has already succeeded.",
# "pay_… is already refunded; …". Keyed by the status's value (payment and refund statuses share some).
_PHRASES: Mapping[str, str] = {
    "processing": "is still processing",
    "authorized": "is authorized but not captured yet",
    "pending": "is still pending",
    "succeeded": "has already succeeded",
    "failed": "has already failed",
    "expired": "has expired",
    "cancelled": "was cancelled",
    "partially_refunded": "is already partially refunded",
    "refunded": "is already refunded",
    "disputed": "is disputed",
}


def status_phrase(status: str) -> str:
    """The predicate of "this payment …" for `status`, e.g. `has already succeeded`."""
    return _PHRASES.get(status) or f"is {status.replace('_', ' ')}"
