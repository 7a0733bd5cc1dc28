"""`payments serve` as a real process refuses an unsafe production configuration before it listens: a non-zero
exit, one line per mistake on stderr, no traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path


def _payments() -> list[str]:
    script = Path(sys.executable).with_name("payments")  # the console script the project installs
    return [str(script)] if script.exists() else [sys.executable, "-m", "interfaces.cli.main"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENTS_")}
    return subprocess.run(
        [*_payments(), "serve", "--port", str(_free_port())],
        cwd=tmp_path,  # no stray .env
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_refuses_unsafe_production_configuration_with_one_line_each(tmp_path: Path) -> None:
    done = _serve(
        tmp_path,
        {
            "PAYMENTS_ENV": "production",
            "PAYMENTS_PROVIDERS": "simulator,stripe",
            "PAYMENTS_STRIPE_SECRET_KEY": "sk_live_x",
            "PAYMENTS_PUBLIC_URL": "http://payments.example.com",
            "PAYMENTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}",
        },
    )
    assert done.returncode != 0
    assert done.stdout == ""  # it never started
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "configuration error: PAYMENTS_STRIPE_WEBHOOK_SECRETS is required because stripe is in PAYMENTS_PROVIDERS",
        "configuration error: PAYMENTS_API_KEYS must list at least one key in production",
        "configuration error: PAYMENTS_PROVIDERS must not enable the simulator in production "
        "(it pays without a provider)",
        "configuration error: PAYMENTS_DATABASE_URL is SQLite; production needs Postgres "
        "(or PAYMENTS_ALLOW_SQLITE_IN_PRODUCTION=true)",
        "configuration error: PAYMENTS_PUBLIC_URL must be the service's https:// address in production "
        "(http only on localhost); got 'http://payments.example.com'",
    ]
    assert not (tmp_path / "payments.db").exists()  # refused before touching the database


def test_serve_refuses_a_weak_key_and_a_plain_http_provider_base(tmp_path: Path) -> None:
    """Otherwise safe: exactly the two mistakes are reported."""
    weak_key = json.dumps([{"name": "orders", "key": "short-but-16-chars", "scopes": ["admin"]}])
    done = _serve(
        tmp_path,
        {
            "PAYMENTS_ENV": "production",
            "PAYMENTS_PROVIDERS": "stripe",
            "PAYMENTS_STRIPE_SECRET_KEY": "sk_live_x",
            "PAYMENTS_STRIPE_WEBHOOK_SECRETS": "whsec_x",
            "PAYMENTS_STRIPE_API_BASE": "http://stripe.internal",
            "PAYMENTS_PUBLIC_URL": "https://payments.example.com",
            "PAYMENTS_DATABASE_URL": "postgresql+asyncpg://payments@127.0.0.1:1/payments",
            "PAYMENTS_API_KEYS": weak_key,
        },
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "configuration error: PAYMENTS_API_KEYS key 'orders' is too weak for production: use at least 32 random "
        "characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')",
        "configuration error: PAYMENTS_STRIPE_API_BASE must be https in production (it carries the secret key); "
        "got 'http://stripe.internal'",
    ]
