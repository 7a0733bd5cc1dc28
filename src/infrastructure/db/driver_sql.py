"""Plain-SQL building blocks for the Postgres fast path, generated from the Core tables (one schema source).

Rows travel as one JSONB parameter each (`jsonb_to_recordset`), so one prepared statement inserts any number
of rows, and several inserts can share a statement as data-modifying CTEs.
"""

# ruff: noqa: S608  (SQL text is assembled once, at import, from the table definitions: no input reaches it)

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves it unannotated


def sql_type(column: sa.Column[Any]) -> str:
    return str(column.type.compile(dialect=_DIALECT))


def names(columns: Iterable[str], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{name}" for name in columns)


def insert_recordset(table: sa.Table, columns: Sequence[str], parameter: str, *, when: str = "") -> str:
    """`INSERT INTO table (columns) SELECT … FROM jsonb_to_recordset(parameter)`, optionally `WHERE when`."""
    typed = ", ".join(f"{name} {sql_type(table.c[name])}" for name in columns)
    where = f" WHERE {when}" if when else ""
    return (
        f"INSERT INTO {table.name} ({names(columns)}) "
        f"SELECT {names(columns)} FROM jsonb_to_recordset({parameter}::jsonb) AS x({typed}){where}"
    )


def to_json(value: Any) -> str:
    """JSON text for a JSONB parameter. SQLAlchemy's asyncpg dialect installs a JSONB codec on every
    connection that takes JSON text (and returns decoded values), so text is what the driver expects."""
    return json.dumps(value, default=_aware_datetime, separators=(",", ":"))


def rows_json(rows: Sequence[Mapping[str, Any]]) -> str:
    return to_json(list(rows))


def _aware_datetime(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:  # the same refusal as UtcDateTime
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
