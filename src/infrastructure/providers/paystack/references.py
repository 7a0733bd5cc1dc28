"""Our payment id ⇄ Paystack's transaction reference.

We pass our payment id as the transaction's `reference`, so every event about it links back without a race.
Paystack allows only alphanumerics and `-`, `.`, `=` in a reference we choose
(https://paystack.com/docs/api/transaction/#initialize), and our ids are `pay_<base32>`: the underscore becomes a
hyphen, which our ids never contain, so the mapping is reversible.

Paystack has no idempotency keys and refuses a second initialize with a used reference ("Duplicate Transaction
Reference"), and it never hands back an earlier initialize's checkout link. A checkout retried after a timeout
(Paystack may have created the transaction, we never saw its link) therefore uses the next reference of a short,
deterministic series: `pay-…`, then `pay-….1`, `pay-….2`. Every one of them still names the payment, and so does
`metadata.payment_id`, so webhooks and lookups for any attempt find it.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_ATTEMPTS = 5

_OURS = re.compile(r"([a-z]+)-([0-9A-Za-z]+)(?:\.([1-9][0-9]*))?")
_ALLOWED = re.compile(r"[0-9A-Za-z.=-]+")


def transaction_reference(payment_id: str, attempt: int = 0) -> str:
    """`pay_01J…` → `pay-01J…` (attempt 0), `pay-01J….2` (attempt 2)."""
    base = payment_id.replace("_", "-", 1)
    reference = base if attempt == 0 else f"{base}.{attempt}"
    if not _ALLOWED.fullmatch(reference) or payment_id_of(reference) != payment_id:
        raise ValueError(f"{payment_id!r} cannot be carried in a Paystack reference")
    return reference


def payment_id_of(reference: str | None) -> str | None:
    """Our payment id from a reference we made; None for references that are not ours (e.g. payment pages)."""
    match = _OURS.fullmatch(reference or "")
    return f"{match[1]}_{match[2]}" if match else None


def payment_id_in(metadata: Any) -> str | None:
    """`metadata.payment_id`. Paystack echoes metadata as an object, as a JSON string (when it was sent as one),
    or as "" when there was none (https://paystack.com/docs/payments/metadata/)."""
    if isinstance(metadata, str) and metadata.strip().startswith("{"):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    if isinstance(metadata, dict):
        value = metadata.get("payment_id")
        return value if isinstance(value, str) and value else None
    return None
