"""A Core statement compiled for one dialect: its text, its parameters in driver order, and the conversions
SQLAlchemy itself would apply to them and to the result columns (so both stores read and write exactly the
values SQLAlchemy always wrote: UTC datetimes, JSON, bytes).

Conversions are SQLAlchemy's public per-type processors (`TypeEngine.bind_processor` / `result_processor` of the
type's dialect implementation). Types whose processor would not change anything on a driver return None there
(`column_types.UtcDateTime` on asyncpg, which hands out aware UTC datetimes itself), so the Postgres hot paths
convert nothing but the values that need it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Compiled:
    text: str
    parameters: tuple[str, ...]  # bind names, in the order the driver takes them
    bind: tuple[Processor, ...]  # per parameter
    columns: tuple[str, ...]  # result column names, in select-list order (empty for plain DML)
    result: tuple[Processor, ...]  # per result column
    converts_results: bool  # False when every result processor is None: rows are used as the driver gave them
    constants: Mapping[str, Any]  # values the statement carries itself (`version + 1`'s 1): not the caller's

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The driver's positional arguments for named `values` (every named parameter must be given)."""
        if self.constants:
            values = {**self.constants, **values}
        try:
            return [
                value if process is None else process(value)
                for process, value in zip(self.bind, (values[name] for name in self.parameters), strict=True)
            ]
        except KeyError as missing:
            raise TypeError(f"missing value for SQL parameter {missing} of: {self.text[:120]}") from None


def compile_statement(statement: ClauseElement, dialect: Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {type(statement).__name__}")
    required = {name for name, bind in compiled.binds.items() if bind.required}
    # Values the statement fixes itself (an IN list of our own constants, a page size) are expanded into the
    # text or into parameters of their own now, once: a generic plan then knows what it can (LIMIT's estimate).
    expanded = compiled.construct_expanded_state(dict.fromkeys(required))
    names = tuple(expanded.positiontup or ())
    bind = tuple(
        _bind_processor(compiled.binds[name].type, dialect) if name in required else expanded.processors.get(name)
        for name in names
    )
    columns, result = _result_columns(statement, dialect)
    constants = {name: expanded.parameters[name] for name in names if name not in required}
    return Compiled(expanded.statement, names, bind, columns, result, any(p is not None for p in result), constants)


def _bind_processor(type_: sa.types.TypeEngine[Any], dialect: Dialect) -> Processor:
    processor: Processor = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _result_columns(statement: ClauseElement, dialect: Dialect) -> tuple[tuple[str, ...], tuple[Processor, ...]]:
    exported: Sequence[Any] = getattr(statement, "exported_columns", ())
    names = tuple(column.name for column in exported)
    processors = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in exported)
    return names, processors
