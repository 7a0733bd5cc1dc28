"""Where `payments serve` keeps its development key: beside the SQLite file, or in the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrastructure.settings import Settings
from interfaces.cli.dev_key import dev_key_file


@pytest.mark.parametrize(
    ("database_url", "file"),
    [
        ("sqlite+aiosqlite:///./payments.db", Path("payments.db.dev-key")),
        ("sqlite+aiosqlite:////var/lib/payments/main.db", Path("/var/lib/payments/main.db.dev-key")),
        ("postgresql+asyncpg://postgres@127.0.0.1:5432/payments", Path("payments.dev-key")),
        ("sqlite+aiosqlite:///:memory:", None),  # nowhere to keep it: a new key at every start
        ("sqlite+aiosqlite://", None),
    ],
)
def test_the_key_file_follows_the_database(database_url: str, file: Path | None) -> None:
    assert dev_key_file(Settings(database_url=database_url)) == file
