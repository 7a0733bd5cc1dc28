"""Field types shared by the request and response schemas."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec
from msgspec import Meta

from infrastructure.providers import catalogue
from interfaces.http.errors import InvalidParameter

MAX_AMOUNT = 10**12

Amount = Annotated[
    int,
    Meta(
        gt=0,
        lt=MAX_AMOUNT,
        description="Integer in the currency's minor units (cents, kobo, yen), without a fraction: `9999`, not `9999.0`",
        examples=[9999],
    ),
]
Currency = Annotated[
    str, Meta(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code; answered in upper case", examples=["USD"])
]
# Free text never holds NUL (`\u0000`): Postgres can store it in neither text nor jsonb, so it is refused (422)
# at the door, as the document says, rather than failing the insert (500).
TEXT = r"^[^\u0000]*$"
# Not in a URL or an e-mail address: NUL, and white space as either regex dialect reads `\s` (Python's, which
# checks, also counts \x1c-\x1f and \x85; ECMA's, which the document's readers use, also counts U+FEFF)
_NOT = r"\s\u0000\u001c-\u001f\u0085\ufeff"
HttpUrl = Annotated[
    str, Meta(pattern=rf"^https?://[^{_NOT}/?#@]+(?:[/?#][^{_NOT}]*)?$", max_length=2048, description="http(s) URL")
]
Email = Annotated[str, Meta(pattern=rf"^[^@{_NOT}]{{1,64}}@[^@.{_NOT}]+(?:\.[^@.{_NOT}]+)+$", max_length=254)]
ShortText = Annotated[str, Meta(max_length=500, pattern=TEXT)]
MetadataKey = Annotated[str, Meta(min_length=1, max_length=40, pattern=TEXT)]
Metadata = Annotated[
    dict[MetadataKey, ShortText],
    Meta(max_length=50, description="Up to 50 keys (1-40 characters) of strings up to 500 characters"),
]
# An order system's id, as a path segment and a filter: 1-128 of A-Z a-z 0-9 . _ : -, but not `.` or `..`, which
# URL normalisation (clients, proxies, browsers) would turn into another path. `$(?!\n)`: Python's `$` also
# matches before a final newline, which would let `abc\n` in; the lookahead refuses it, and in the OpenAPI
# document (ECMA-262 regex, where `$` is the end) it changes nothing.
ORDER_ID_PATTERN = r"^(?!\.\.?$)[A-Za-z0-9._:-]{1,128}$(?!\n)"
# Every provider this version implements, from the catalogue (hence the enum in the OpenAPI document). The
# checker sees a plain string: it cannot follow a Literal built at import time.
if TYPE_CHECKING:
    ProviderName = str
else:
    ProviderName = Literal[catalogue.KNOWN]
TransactionKind = Literal["payment", "refund"]


def utc(moment: datetime) -> datetime:
    """RFC 3339 in UTC (msgspec writes `Z`); a naive time from the store is UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


# A `+hh:mm` offset sent unencoded in a query string: form decoding turns the `+` into a space.
_PLUS_AS_SPACE = re.compile(r"\d \d{2}:?\d{2}$")
_PLUS_HINT = (
    "must be an RFC 3339 date-time; its offset's `+` arrived as a space: encode `+` as `%2B` in a URL "
    "(e.g. 2024-05-01T00:00:00%2B02:00), or use Z"
)


def parse_instant(name: str, value: str | None) -> datetime | None:
    """A query parameter as an RFC 3339 date-time with an offset, in UTC. Litestar's own parsing is lax: it reads
    `0.5` as a Unix time, and passes on a time without an offset, which the store refuses (that was a 500)."""
    if value is None:
        return None
    try:
        moment = msgspec.convert(value, datetime)
    except msgspec.ValidationError:
        if _PLUS_AS_SPACE.search(value):
            raise InvalidParameter(name, _PLUS_HINT) from None
        raise InvalidParameter(name, "must be an RFC 3339 date-time, e.g. 2024-05-01T00:00:00Z") from None
    if moment.tzinfo is None:
        raise InvalidParameter(name, "needs a UTC offset (Z or +hh:mm)")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise InvalidParameter(name, "is out of range") from None
