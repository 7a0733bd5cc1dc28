"""The development admin key of `payments serve`: one key, kept across restarts.

In development with no configured keys, `serve` prints an admin key so the service is usable at once. Scripts
and sessions keep using that key, so it must survive a restart: its raw value is kept in a file only the user can
read (mode 0600) beside the SQLite database (`./payments.db` → `./payments.db.dev-key`), or in the working
directory for any other database. The database only ever holds its hash. A key the file holds that no longer
authenticates (revoked, or the database was deleted) is replaced, and the file rewritten.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from application.ports.api_keys import ApiKeyStore
from application.ports.clock import Clock
from infrastructure.settings import Settings
from interfaces.cli import CommandFailed

DEV_KEY_NAME = "dev-admin"
OTHER_DATABASES_FILE = Path("payments.dev-key")  # in the working directory, for Postgres in development


@dataclass(frozen=True, slots=True)
class DevKey:
    raw: str
    file: Path | None  # None: nowhere to keep it (an in-memory database)
    created: bool  # False: the key the file already held


def dev_key_file(settings: Settings) -> Path | None:
    """Beside the SQLite database file; a fixed name in the working directory for any other database."""
    if not settings.is_sqlite:
        return OTHER_DATABASES_FILE
    database = make_url(settings.database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database + ".dev-key")


async def lasting_dev_key(store: ApiKeyStore, clock: Clock, file: Path | None) -> DevKey:
    """The file's key while it still authenticates as an admin; otherwise a fresh one, written to the file."""
    kept = _read(file)
    if kept is not None:
        caller = await store.authenticate(kept)
        if caller is not None and caller.allows("admin"):
            assert file is not None
            _keep_private(file)
            return DevKey(kept, file, created=False)
    raw = await _fresh_dev_key(store, clock)
    if file is not None:
        _write(file, raw)
    return DevKey(raw, file, created=True)


async def _fresh_dev_key(store: ApiKeyStore, clock: Clock) -> str:
    """Revokes development keys still active (their raw value is lost with the file), then creates one. Key
    names stay unique even among revoked keys (an audit trail's actor must name one key), so once `dev-admin`
    is taken the name gets a timestamp."""
    for key in await store.list():
        if key.revoked_at is None and (key.name == DEV_KEY_NAME or key.name.startswith(f"{DEV_KEY_NAME}-")):
            await store.revoke(key.id, clock.now())
    now = clock.now()
    try:
        _, raw_key = await store.create(DEV_KEY_NAME, ("admin",), now)
    except ValueError:  # the name is held by a revoked key
        _, raw_key = await store.create(f"{DEV_KEY_NAME}-{now:%Y%m%d%H%M%S%f}", ("admin",), now)
    return raw_key


def _read(file: Path | None) -> str | None:
    if file is None:
        return None
    try:
        return file.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CommandFailed(f"cannot read the development key file {file}: {error.strerror or error}") from None


def _keep_private(file: Path) -> None:
    """A key file someone loosened is tightened again."""
    try:
        file.chmod(0o600)
    except OSError as error:
        raise CommandFailed(f"cannot make {file} readable by its owner only: {error.strerror or error}") from None


def _write(file: Path, raw_key: str) -> None:
    """Created 0600 from the start (never readable by others, not even for a moment), then renamed into place."""
    temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        temporary.unlink(missing_ok=True)  # a leftover of a crash: O_EXCL below makes the file ours, 0600
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as sink:
            sink.write(raw_key + "\n")
        os.replace(temporary, file)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise CommandFailed(f"cannot write the development key file {file}: {error.strerror or error}") from None
