"""The transactions page's filters as people fill them in (dates, an order id, a currency), read into the same
`TransactionFilter` the JSON listing uses, and written back into links (next page, CSV export)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from application.views import TransactionFilter
from domain.payments.risk import RiskDecision
from domain.payments.status import PaymentStatus, RefundStatus
from interfaces.admin.form_errors import FormNotUnderstood
from interfaces.http.schemas.common import ORDER_ID_PATTERN

STATUSES = tuple(dict.fromkeys((*PaymentStatus, *RefundStatus)))
_ORDER = re.compile(ORDER_ID_PATTERN)
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_FIELDS = ("status", "provider", "risk", "currency", "order", "from", "to")
# the risk decisions a payment can carry (a blocked checkout has no payment to list)
RISK_DECISIONS = tuple(d.value for d in RiskDecision if d is not RiskDecision.BLOCK)


class FilterNotUnderstood(FormNotUnderstood):
    pass


@dataclass(frozen=True, slots=True)
class FilterForm:
    """The filter fields exactly as typed (to fill the form again)."""

    values: dict[str, str]

    @classmethod
    def of(cls, query: dict[str, str]) -> FilterForm:
        return cls({name: query.get(name, "").strip() for name in _FIELDS})

    def query(self, **extra: str) -> str:
        """The filters (and `extra`, e.g. a cursor) as a query string, leaving out empty fields."""
        pairs = [(k, v) for k, v in self.values.items() if v] + [(k, v) for k, v in extra.items() if v]
        return urlencode(pairs)

    def to_filter(self, providers: tuple[str, ...]) -> TransactionFilter:
        v = self.values
        if v["status"] and v["status"] not in STATUSES:
            raise FilterNotUnderstood(f"Status: {v['status']!r} is not a status")
        if v["provider"] and v["provider"] not in providers:
            raise FilterNotUnderstood(f"Provider: {v['provider']!r} is not a provider this service knows")
        if v["risk"] and v["risk"] not in RISK_DECISIONS:
            raise FilterNotUnderstood(f"Risk: {v['risk']!r} is not a risk decision ({', '.join(RISK_DECISIONS)})")
        if v["currency"] and not _CURRENCY.fullmatch(v["currency"]):
            raise FilterNotUnderstood("Currency: three letters, e.g. USD")
        if v["order"] and not _ORDER.match(v["order"]):
            raise FilterNotUnderstood("Order: up to 128 letters, digits and . _ : -")
        since, until = _day("From", v["from"]), _day("To", v["to"])
        return TransactionFilter(
            status=v["status"] or None,
            provider=v["provider"] or None,
            risk=v["risk"] or None,
            order_id=v["order"] or None,
            currency=v["currency"].upper() or None,
            created_after=since,
            created_before=None if until is None else until + timedelta(days=1),  # "To" includes its whole day
        )


def _day(label: str, text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise FilterNotUnderstood(f"{label}: a date as YYYY-MM-DD") from None
