"""Alembic environment: async engine, the same engine settings as the service (SQLite pragmas, BEGIN IMMEDIATE).

The URL is the config's `sqlalchemy.url` (set in code by infrastructure.db.migrate), else PAYMENTS_DATABASE_URL,
else the development default. On SQLite, autogenerate renders batch operations (`render_as_batch`), since
SQLite can alter little in place, and DDL is transactional because the engine emits its own BEGIN.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from infrastructure.db.engine import create_engine
from infrastructure.db.tables import metadata

DEFAULT_URL = "sqlite+aiosqlite:///./payments.db"

config = context.config
if config.config_file_name is not None:  # run by the `alembic` command with alembic.ini
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or os.environ.get("PAYMENTS_DATABASE_URL") or DEFAULT_URL


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: renders the SQL without connecting."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,  # Postgres has it; SQLite too, since our engine emits BEGIN itself
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(_url(), pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
