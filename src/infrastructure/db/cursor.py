"""Keyset cursors: the last row's (created_at, id), opaque to clients (URL-safe base64, no padding)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from application.errors import InvalidCursor
from infrastructure.db.column_types import UtcDateTime
from infrastructure.db.tables import ID
from infrastructure.db.write.event_rows import rfc3339

_SEPARATOR = "|"


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = f"{rfc3339(created_at)}{_SEPARATOR}{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises InvalidCursor for anything we did not issue."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
        moment, separator, row_id = raw.partition(_SEPARATOR)
        created_at = datetime.fromisoformat(moment)
    except (ValueError, binascii.Error) as error:  # UnicodeDecodeError is a ValueError
        raise InvalidCursor(f"invalid cursor {cursor[:40]!r}") from error
    if not separator or not row_id or created_at.tzinfo is None:
        raise InvalidCursor(f"invalid cursor {cursor[:40]!r}")
    return created_at, row_id


def before(
    moment: sa.ColumnElement[Any], row_id: sa.ColumnElement[Any], position: tuple[datetime, str]
) -> sa.ColumnElement[bool]:
    """The rows after `position` in newest-first order: one row-value comparison, `(moment, id) < (…, …)`,
    which the `(moment, id)` indexes answer on both stores."""
    last_moment, last_id = position
    return sa.tuple_(moment, row_id) < sa.tuple_(sa.literal(last_moment, UtcDateTime()), sa.literal(last_id, ID))
