"""Alembic, driven from code: the CLI (`payments db …`), development start-up, tests and the readiness check.

The migration environment runs its own event loop (`asyncio.run`), so the synchronous functions here must be
called from a thread without a running loop: from sync code, or via `asyncio.to_thread` from async code.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.engine import create_engine, for_reads

REPO_ROOT = Path(__file__).resolve().parents[3]
MIGRATIONS = REPO_ROOT / "migrations"


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(_config(url), revision)


def current(url: str) -> str | None:
    """The database's revision, None when it was never migrated."""
    return asyncio.run(_current(url))


def head() -> str:
    revision = _scripts().get_current_head()
    if revision is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return revision


def revisions() -> list[str]:
    """Every revision, base first."""
    return [script.revision for script in reversed(list(_scripts().walk_revisions()))]


async def current_revision(engine: AsyncEngine) -> str | None:
    """For the readiness check: a read-only look that never waits behind a writer."""
    async with for_reads(engine).connect() as connection:
        return await connection.run_sync(_revision_of)


async def _current(url: str) -> str | None:
    engine = create_engine(url, pool_size=1)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(None))


def _config(url: str | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser interpolation
    return config
