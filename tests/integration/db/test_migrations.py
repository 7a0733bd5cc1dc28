"""Alembic on both stores: every step goes up, down and up again, and the result is exactly tables.py."""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from infrastructure.db import migrate
from infrastructure.db.engine import create_engine, for_reads
from infrastructure.db.tables import metadata
from tests import databases


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: the stairway must not disturb the session's migrated one."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"
        return
    request.getfixturevalue("postgres_session_url")  # skips (or fails in CI) when Postgres is unreachable
    url = asyncio.run(databases.create_database())
    try:
        yield url
    finally:
        asyncio.run(databases.drop_database(url))


def test_revisions_run_from_base_to_head() -> None:
    assert migrate.revisions() == [
        *("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012", "0013")
    ]
    assert migrate.head() == "0013"


def test_every_step_upgrades_downgrades_and_upgrades_again(blank_database: str) -> None:
    assert migrate.current(blank_database) is None
    previous = "base"
    for revision in migrate.revisions():
        migrate.upgrade(blank_database, revision)
        assert migrate.current(blank_database) == revision
        migrate.downgrade(blank_database, "-1")
        assert migrate.current(blank_database) == (None if previous == "base" else previous)
        migrate.upgrade(blank_database, revision)
        previous = revision

    migrate.downgrade(blank_database, "base")
    assert migrate.current(blank_database) is None
    assert _table_names(blank_database) <= {"alembic_version"}
    migrate.upgrade(blank_database)
    assert migrate.current(blank_database) == migrate.head()


def test_refunds_take_their_payments_provider_when_the_column_arrives(blank_database: str) -> None:
    """0005 backfills `refunds.provider` from each refund's payment before making it NOT NULL."""
    migrate.upgrade(blank_database, "0004")
    _execute(blank_database, _PAYMENT_AND_REFUND)
    migrate.upgrade(blank_database, "0005")

    assert _execute(blank_database, "SELECT id, provider FROM refunds ORDER BY id") == [
        ("re_1", "paystack"),
        ("re_2", "paystack"),
        ("re_3", "stripe"),
    ]


_PAYMENT_AND_REFUND = [
    "INSERT INTO payments (id, order_id, amount, currency, provider, status, metadata, created_at, updated_at) "
    "VALUES ('pay_1', 'o-1', 500, 'NGN', 'paystack', 'refunded', '{}', :at, :at), "
    "('pay_2', 'o-2', 700, 'USD', 'stripe', 'partially_refunded', '{}', :at, :at)",
    "INSERT INTO refunds (id, payment_id, amount, currency, status, reason, created_at, updated_at) "
    "VALUES ('re_1', 'pay_1', 200, 'NGN', 'succeeded', 'requested_by_customer', :at, :at), "
    "('re_2', 'pay_1', 300, 'NGN', 'succeeded', 'requested_by_customer', :at, :at), "
    "('re_3', 'pay_2', 100, 'USD', 'pending', 'duplicate', :at, :at)",
]


def _execute(url: str, statements: str | list[str]) -> list[tuple[Any, ...]]:
    """Plain SQL in one transaction; the rows of the last statement when it returns any."""

    async def run() -> list[tuple[Any, ...]]:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                rows: list[tuple[Any, ...]] = []
                for statement in [statements] if isinstance(statements, str) else statements:
                    result = await connection.execute(_with_time(statement))
                    rows = [tuple(row) for row in result] if result.returns_rows else []
                return rows
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _with_time(statement: str) -> sa.TextClause:
    """`:at` bound as a typed date-time, so SQLAlchemy converts it for the driver; a bare datetime went through
    sqlite3's default adapter, deprecated since Python 3.12 (a DeprecationWarning in every run on 3.12+)."""
    text = sa.text(statement)
    if ":at" not in statement:
        return text
    return text.bindparams(sa.bindparam("at", datetime(2026, 1, 2, tzinfo=UTC), type_=sa.DateTime(timezone=True)))


async def test_the_migrated_schema_matches_the_tables_module(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with for_reads(engine).connect() as connection:
            differences = await connection.run_sync(_schema_differences)
            live_order_index = await connection.run_sync(_index_sql, "uq_payments_live_order")
            email_index = await connection.run_sync(_index_sql, "ix_payments_customer_email_lower_created_at")
        assert await migrate.current_revision(engine) == migrate.head()
    finally:
        await engine.dispose()

    assert differences == []
    # autogenerate does not compare partial-index predicates: check the one that guards concurrent checkouts
    assert "order_id" in live_order_index
    for status in ("processing", "authorized", "succeeded", "partially_refunded", "refunded", "disputed"):
        assert f"'{status}'" in live_order_index
    assert "paid_after_cancel" in live_order_index
    for status in ("failed", "expired", "cancelled"):
        assert f"'{status}'" not in live_order_index
    # nor SQLite's expression indexes: the velocity count's, on lower(customer_email) (0012), checked here
    # SQLite keeps the text as written, Postgres its own spelling: lower((customer_email)::text), created_at
    assert re.search(r"lower\(\(?customer_email\)?(::text)?\), created_at\)", email_index), email_index


# SQLite's reflection cannot read an expression index, so the comparison skips it on both sides, saying so
_EXPRESSION_INDEX_SKIPPED = r".*expression-based index '?ix_payments_customer_email_lower_created_at"


def _schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _EXPRESSION_INDEX_SKIPPED)
        return list(compare_metadata(context, metadata))


def _index_sql(connection: Connection, name: str) -> str:
    if connection.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE name = ?"
    else:
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = $1"
    return str(connection.exec_driver_sql(query, (name,)).scalar_one())


def _table_names(url: str) -> set[str]:
    async def names() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda c: sa.inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(names())
