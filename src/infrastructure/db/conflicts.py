"""`INSERT … ON CONFLICT DO NOTHING`, which both stores speak with the same syntax (SQLite ≥ 3.24)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert_or_ignore(dialect_name: str, table: sa.Table, conflict_columns: Sequence[str]) -> sa.Insert:
    """An INSERT that silently skips a row whose `conflict_columns` already exist (RETURNING then yields none)."""
    columns = [table.c[name] for name in conflict_columns]
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=columns)
    if dialect_name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=columns)
    raise NotImplementedError(f"no ON CONFLICT support for {dialect_name}")
