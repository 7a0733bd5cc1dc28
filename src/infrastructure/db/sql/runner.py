"""What stores run statements on: a database (each call on a connection of its own) or one connection inside a
transaction. The same store code serves both, on either driver."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from infrastructure.db.sql.guarded import Guarded

Row = Mapping[str, Any]  # by column name (asyncpg Records are used as they come when nothing needs converting)


class PerDialect:
    """A statement whose Core construction depends on the dialect (INSERT … ON CONFLICT is spelled through each
    dialect's own insert). Built once per dialect, then compiled and cached like any statement."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[Dialect], sa.Executable]) -> None:
        self.build = build


Statement = sa.Executable | PerDialect


class Runner(Protocol):
    """`fetch*` read; `execute`, `execute_guarded` and `write` change. On a database, each read is safe to repeat
    on another connection when its pooled one turns out dead; each change is one statement, its own transaction
    on Postgres (a short BEGIN IMMEDIATE one on SQLite), on a connection not already seen closed (database.py)."""

    async def fetch(self, statement: Statement, /, **values: Any) -> list[Row]: ...

    async def fetch_one(self, statement: Statement, /, **values: Any) -> Row | None: ...

    async def fetch_value(self, statement: Statement, /, **values: Any) -> Any: ...

    async def execute(self, statement: Statement, /, **values: Any) -> int:
        """Runs a statement without a result; returns how many rows it touched."""
        ...

    async def execute_guarded(self, statement: Guarded, /, **values: Any) -> int:
        """See guarded.py; returns how many rows the guarding write touched."""
        ...

    async def write(self, statement: Statement, /, **values: Any) -> list[Row]:
        """Runs a change that returns rows (`… RETURNING …`)."""
        ...
