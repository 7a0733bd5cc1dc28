"""Test databases: a throwaway SQLite file, or a throwaway Postgres database created for the test session.

Postgres comes from PAYMENTS_TEST_POSTGRES_URL (default: the local server, database `test`). When it cannot be
reached its tests are skipped with the reason shown, unless PAYMENTS_TEST_REQUIRE_POSTGRES=1 (CI), which turns
the absence into a failure so a green run always includes the Postgres leg.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def admin_postgres_url() -> str:
    return os.environ.get("PAYMENTS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_required() -> bool:
    return os.environ.get("PAYMENTS_TEST_REQUIRE_POSTGRES") == "1"


def dsn(sqlalchemy_url: str) -> str:
    """The URL as asyncpg takes it."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def with_database(sqlalchemy_url: str, name: str) -> str:
    """The same server, another database."""
    parts = urlsplit(sqlalchemy_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def postgres_unreachable_reason() -> str | None:
    try:
        connection = await asyncpg.connect(dsn(admin_postgres_url()), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        return f"PostgreSQL not reachable at {admin_postgres_url()} ({type(error).__name__}: {error})"
    await connection.close()
    return None


async def create_database() -> str:
    """Creates an empty database with a random name; returns its SQLAlchemy URL."""
    name = f"payments_test_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(dsn(admin_postgres_url()))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(admin_postgres_url(), name)


async def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    connection = await asyncpg.connect(dsn(admin_postgres_url()))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def truncate_all(url: str) -> None:
    """Empties every table but Alembic's, so each test starts clean on the session's migrated database."""
    connection = await asyncpg.connect(dsn(url))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()
