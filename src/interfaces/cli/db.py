"""`payments db upgrade|current|downgrade`: Alembic migrations of the configured database."""

from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url

from infrastructure.db import migrate
from infrastructure.settings import Settings, load_settings
from interfaces.cli import CommandFailed


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("db", help="migrate the database (upgrade, current, downgrade)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("upgrade", help="apply every migration up to the latest").set_defaults(handler=upgrade)
    actions.add_parser("current", help="show the database's revision and whether it is the latest").set_defaults(
        handler=current
    )
    down = actions.add_parser("downgrade", help="undo migrations down to REV (default: one step)")
    down.add_argument("rev", metavar="REV", nargs="?", default="-1", help="a revision, -N steps, or 'base'")
    down.set_defaults(handler=downgrade)


def upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    migrate.upgrade(settings.database_url)
    print(f"{_where(settings)} is at revision {migrate.current(settings.database_url)} (head)")
    return 0


def current(args: argparse.Namespace) -> int:
    settings = load_settings()
    revision, head = migrate.current(settings.database_url), migrate.head()
    if revision == head:
        print(f"{_where(settings)} is at revision {revision} (head)")
    else:
        print(f"{_where(settings)} is at revision {revision or 'none'}; head is {head}: run `payments db upgrade`")
    return 0


def downgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    migrate.downgrade(settings.database_url, args.rev)
    print(f"{_where(settings)} is at revision {migrate.current(settings.database_url) or 'none (base)'}")
    return 0


def ensure_schema(settings: Settings) -> None:
    """Raises CommandFailed unless the database is at the latest revision. A development SQLite file is
    migrated on the spot, so `payments serve` alone gives a working service; anything else is the operator's
    call (migrations on a shared database are a deployment step, not a side effect)."""
    if not settings.is_production and settings.is_sqlite:
        migrate.upgrade(settings.database_url)
        return
    revision, head = migrate.current(settings.database_url), migrate.head()
    if revision != head:
        raise CommandFailed(
            f"{_where(settings)} is at revision {revision or 'none'}, not {head}: run `payments db upgrade` first"
        )


def _where(settings: Settings) -> str:
    # never print a password that may sit in the URL
    return "database " + make_url(settings.database_url).render_as_string(hide_password=True)
