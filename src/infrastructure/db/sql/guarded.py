"""A write and the rows that go with it, only if the write touched a row: one round trip on Postgres.

The payment's update (guarded by its version) and its audit and outbox rows must be written together or not at
all. On Postgres they are one statement: the update as a data-modifying CTE and each insert guarded by
`EXISTS (SELECT 1 FROM g)`. SQLite has no data-modifying CTEs, so there the driver runs the update, then each
insert only if it touched a row. Either way the answer is how many rows the update touched, and every piece is
the one Core statement that `write`/`rows` define.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from infrastructure.db.sql.json_rows import insert_rows

TOUCHED = sa.literal_column("1", sa.Integer).label("touched")
"""What the guarding write returns for each row it touched: `write = sa.update(…)….returning(TOUCHED)`."""


@dataclass(frozen=True, eq=False)  # compiled once per instance: identity, not value, is what caches it
class Guarded:
    write: sa.Update | sa.Insert  # ending in `.returning(TOUCHED)`: both dialects count the rows it returns
    rows: tuple[tuple[sa.Table, str, tuple[str, ...]], ...]  # (table, parameter, columns) of each insert_rows after it

    @cached_property  # built once: the compiled forms are cached by statement identity
    def sequence(self) -> tuple[sa.Executable, ...]:
        """The pieces one after another (SQLite): the write, then each insert."""
        return (self.write, *(insert_rows(table, parameter, columns) for table, parameter, columns in self.rows))

    @cached_property
    def one_statement(self) -> sa.Select[Any]:
        """The pieces as one statement (Postgres) answering how many rows the write touched."""
        touched = self.write.cte("g")
        statement = sa.select(sa.func.count().label("touched")).select_from(touched)
        for index, (table, parameter, columns) in enumerate(self.rows):
            guard = sa.exists(sa.select(touched.c.touched))
            statement = statement.add_cte(insert_rows(table, parameter, columns, when=guard).cte(f"rows_{index}"))
        return statement
