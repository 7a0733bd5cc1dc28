"""The `payments` command line, run in-process through main() against a throwaway SQLite file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infrastructure.db import migrate
from interfaces.cli.main import main


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points the CLI at a fresh SQLite file; no stray PAYMENTS_* variable or .env file leaks in."""
    for name in [n for n in os.environ if n.startswith("PAYMENTS_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # load_settings reads ./.env: make sure it is ours (none)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PAYMENTS_DATABASE_URL", url)
    return url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for command in ("serve", "worker", "db", "api-keys", "webhook-events"):
        assert command in out


@pytest.mark.parametrize(("argv", "words"), [(["db", "--help"], ("upgrade", "current", "downgrade"))])
def test_group_help(capsys: pytest.CaptureFixture[str], argv: list[str], words: tuple[str, ...]) -> None:
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    assert all(word in out for word in words)


def test_serve_help_shows_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "serve", "--help")
    assert code == 0
    assert all(option in out for option in ("--host", "--port", "--workers"))


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "frobnicate")
    assert code == 2
    assert "invalid choice" in err


def test_db_upgrade_current_downgrade(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "db", "current")
    assert code == 0
    assert "none" in out
    assert "payments db upgrade" in out

    code, out, _ = _run(capsys, "db", "upgrade")
    assert code == 0
    assert migrate.current(database) == migrate.head()

    code, out, _ = _run(capsys, "db", "current")
    assert code == 0
    assert f"{migrate.head()} (head)" in out

    code, out, _ = _run(capsys, "db", "downgrade", "base")
    assert code == 0
    assert migrate.current(database) is None


def test_api_keys_create_list_revoke(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "api-keys", "create", "orders", "--scope", "payments:write", "--scope", "payments:read")
    assert code == 0
    raw_key = out.strip().splitlines()[-1]
    assert len(raw_key) >= 16
    assert " " not in raw_key

    code, out, _ = _run(capsys, "api-keys", "list")
    assert code == 0
    assert "orders" in out
    assert "payments:write,payments:read" in out
    assert "active" in out
    assert raw_key not in out  # never shown again

    code, out, _ = _run(capsys, "api-keys", "revoke", "orders")
    assert code == 0
    code, out, _ = _run(capsys, "api-keys", "list")
    assert "revoked" in out

    code, _, err = _run(capsys, "api-keys", "create", "orders", "--scope", "admin")
    assert code == 1
    assert "already exists" in err

    code, _, err = _run(capsys, "api-keys", "revoke", "nobody")
    assert code == 1
    assert "nobody" in err


def test_api_keys_create_refuses_unknown_scopes(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "api-keys", "create", "x", "--scope", "everything")
    assert code == 2
    assert "invalid choice" in err


def test_bad_configuration_prints_one_line_per_mistake(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAYMENTS_PORT", "eighty")
    monkeypatch.setenv("PAYMENTS_ENV", "staging")
    monkeypatch.setenv("PAYMENTS_DATABASE_URL", "mysql://localhost/payments")
    code, out, err = _run(capsys, "db", "current")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("configuration error: PAYMENTS_") for line in lines)
    assert {"PAYMENTS_PORT", "PAYMENTS_ENV", "PAYMENTS_DATABASE_URL"} == {line.split()[2] for line in lines}
