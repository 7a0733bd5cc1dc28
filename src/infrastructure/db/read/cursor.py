"""Keyset cursors: the last row's (moment, id), opaque to clients (URL-safe base64, no padding)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from application.errors import InvalidCursor
from infrastructure.db.column_types import UtcDateTime
from infrastructure.db.tables import ID
from infrastructure.db.write.event_rows import rfc3339

_SEPARATOR = "|"


class Position(NamedTuple):
    at: datetime
    id: str


def encode_cursor(moment: datetime, row_id: str) -> str:
    raw = f"{rfc3339(moment)}{_SEPARATOR}{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """Raises InvalidCursor for anything we did not issue."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
        moment, separator, row_id = raw.partition(_SEPARATOR)
        at = datetime.fromisoformat(moment)
    except (ValueError, binascii.Error) as error:  # UnicodeDecodeError is a ValueError
        raise InvalidCursor(f"invalid cursor {cursor[:40]!r}") from error
    if not separator or not row_id or at.tzinfo is None:
        raise InvalidCursor(f"invalid cursor {cursor[:40]!r}")
    return Position(at, row_id)


def before(moment: sa.ColumnElement[Any], row_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """The rows after a position (bound as `after_at`, `after_id`) in newest-first order: one row-value
    comparison, `(moment, id) < (…, …)`, which the `(moment, id)` indexes answer on both stores."""
    after = sa.tuple_(sa.bindparam("after_at", type_=UtcDateTime()), sa.bindparam("after_id", type_=ID))
    return sa.tuple_(moment, row_id) < after


def after_values(position: Position) -> dict[str, Any]:
    return {"after_at": position.at, "after_id": position.id}
