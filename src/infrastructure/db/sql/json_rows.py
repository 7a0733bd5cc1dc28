"""Many rows as one parameter: `INSERT INTO t (…) SELECT … FROM <the elements of a JSON array>`.

One statement, whatever the number of rows, so it can also be one part of a larger statement (guarded.py). It is
written once, in Core; only two small elements render differently per dialect:

- the JSON array's elements: Postgres `jsonb_array_elements(CAST(:p AS JSONB))`, SQLite `json_each(:p)`, each
  giving rows with one column, `value`;
- a field of an element: Postgres `CAST(value ->> 'f' AS <column type>)` (`value -> 'f'` for a JSON column),
  SQLite `json_extract(value, '$.f')` (its columns take what they are given).

The parameter's type (`JsonRows`) encodes the rows for the dialect: each value through its column's own bind
conversion (a datetime becomes `timestamptz` text on Postgres, SQLAlchemy's stored text form on SQLite), JSON
columns nested as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction


class JsonRows(sa.TypeDecorator[Sequence[Mapping[str, Any]]]):
    """A list of row dicts for `table`'s `columns`, sent as one JSON array."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, table: sa.Table, columns: Sequence[str]) -> None:
        super().__init__()
        self.table, self.columns = table, tuple(columns)
        self._encoders: dict[str, tuple[tuple[str, Any], ...]] = {}  # per dialect: looked up once, not per row

    def process_bind_param(self, value: Sequence[Mapping[str, Any]] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        encoders = self._encoders.get(dialect.name) or self._encoders.setdefault(
            dialect.name, self._encoders_for(dialect)
        )
        rows = [
            {name: row[name] if encode is None else encode(row[name]) for name, encode in encoders} for row in value
        ]
        # msgspec: datetimes as RFC 3339 text (both stores' casts read it), several times faster than json.dumps
        return _ROWS_ENCODER.encode(rows).decode()

    def _encoders_for(self, dialect: Dialect) -> tuple[tuple[str, Any], ...]:
        """Each column's own bind conversion (None: the value goes into the JSON as it is)."""
        return tuple(
            (name, None if _is_json(self.table.c[name].type) else _bind(self.table.c[name].type, dialect))
            for name in self.columns
        )


_ROWS_ENCODER = msgspec.json.Encoder()


class json_elements(GenericFunction[Any]):
    """The elements of a JSON array, as rows of one column named `value`."""

    inherit_cache = True
    name = "json_elements"


@compiles(json_elements, "postgresql")
def _elements_postgres(element: json_elements, compiler: SQLCompiler, **kw: Any) -> str:
    return f"jsonb_array_elements(CAST({compiler.process(element.clauses, **kw)} AS JSONB))"


@compiles(json_elements, "sqlite")
def _elements_sqlite(element: json_elements, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


class json_field(sa.sql.expression.ColumnElement[Any]):
    """Field `key` of a JSON element, as a value of `type_`."""

    inherit_cache = True

    def __init__(self, element: sa.ColumnElement[Any], key: str, type_: sa.types.TypeEngine[Any]) -> None:
        self.element, self.key_name, self.type = element, key, type_


@compiles(json_field, "postgresql")
def _field_postgres(field: json_field, compiler: SQLCompiler, **kw: Any) -> str:
    element = compiler.process(field.element, **kw)
    key = compiler.render_literal_value(field.key_name, sa.String())
    if _is_json(field.type):
        return f"({element} -> {key})"
    return f"CAST({element} ->> {key} AS {compiler.dialect.type_compiler_instance.process(field.type)})"


@compiles(json_field, "sqlite")
def _field_sqlite(field: json_field, compiler: SQLCompiler, **kw: Any) -> str:
    path = compiler.render_literal_value(f"$.{field.key_name}", sa.String())
    return f"json_extract({compiler.process(field.element, **kw)}, {path})"


def insert_rows(
    table: sa.Table, parameter: str, columns: Sequence[str] | None = None, *, when: sa.ColumnElement[bool] | None = None
) -> sa.Insert:
    """INSERT of the rows bound to `parameter` (a list of dicts with every one of `columns`, default all)."""
    names = tuple(columns) if columns is not None else tuple(column.name for column in table.c)
    select = rows_bound_to(table, parameter, names)
    if when is not None:
        select = select.where(when)
    return sa.insert(table).from_select(names, select)


def one_of(column: sa.Column[Any], parameter: str) -> sa.ColumnElement[bool]:
    """`column IN (…)` for a list of any length bound to `parameter` as rows, `[{column.name: value}, …]`: one
    parameter, so one statement compiled once, whatever the list's length."""
    return column.in_(rows_bound_to(column.table, parameter, (column.name,)).scalar_subquery())


def rows_bound_to(table: sa.Table, parameter: str, names: Sequence[str]) -> sa.Select[Any]:
    """SELECT of `names`, typed as `table`'s columns, from the rows bound to `parameter`."""
    elements = json_elements(sa.bindparam(parameter, type_=JsonRows(table, names))).table_valued("value").alias("r")
    select = sa.select(*(json_field(elements.c.value, name, table.c[name].type).label(name) for name in names))
    return select.select_from(elements)


def _is_json(type_: sa.types.TypeEngine[Any]) -> bool:
    return (
        isinstance(type_, sa.JSON)
        or isinstance(getattr(type_, "impl", None), sa.JSON)
        or type_._type_affinity is sa.JSON
    )


def _bind(type_: sa.types.TypeEngine[Any], dialect: Dialect) -> Any:
    processor = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor
