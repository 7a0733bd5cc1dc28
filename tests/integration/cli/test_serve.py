"""`payments serve` with no configuration gives a working service: a real process on a free port, SQLite,
the printed development key, the simulator's hosted page and its signed webhooks end to end."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from interfaces.http.controllers.simulator_pages import format_amount
from tests.api_processes import wait_until_healthy


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1999, "USD", "19.99 USD"),
        (5, "USD", "0.05 USD"),
        (123456789, "EUR", "1,234,567.89 EUR"),
        (1999, "JPY", "1,999 JPY"),
        (1999, "KWD", "1.999 KWD"),
        (-250, "USD", "-2.50 USD"),
    ],
)
def test_format_amount(amount: int, currency: str, shown: str) -> None:
    assert format_amount(amount, currency) == shown


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENTS_")}
    env |= {"PAYMENTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}", "PAYMENTS_LOG_LEVEL": "warning"}
    env["PAYMENTS_SIMULATOR_SETTLE_DELAY_SECONDS"] = "0.1"
    return env


def _start(tmp_path: Path, port: int, output: Path) -> subprocess.Popen[bytes]:
    """`payments serve` in `tmp_path` (its SQLite file and key file are there), stdout and stderr to `output`."""
    with output.open("w") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=_environment(tmp_path),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, development API key) of a `payments serve` process, shared by this module's tests."""
    tmp_path = tmp_path_factory.mktemp("serve")
    port = _free_port()
    process = _start(tmp_path, port, tmp_path / "stdout.txt")
    try:
        base = f"http://127.0.0.1:{port}"
        key = _wait_until_up(base, tmp_path / "stdout.txt", process)
        yield base, key
    finally:
        _stop(process)


DEV_KEY_LINE = re.compile(
    r"Development admin API key \(kept across restarts in (?P<file>[^,)]+)(?P<new>, new)?\): (?P<key>pay_sk_\S+)"
)


def _wait_until_up(base: str, output: Path, process: subprocess.Popen[bytes]) -> str:
    wait_until_healthy(base, timeout=90, process=process, log=output)
    text = output.read_text()
    match = DEV_KEY_LINE.search(text)
    assert match, text
    assert f"listening on {base}" in text
    return match["key"]


def _wait_for(client: httpx.Client, url: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        body: dict[str, Any] = client.get(url).json()
        if done(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_checkout_pay_and_refund_through_the_simulator(service: tuple[str, str]) -> None:
    base, key = service
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        created = client.post(
            "/api/v1/orders/o-1/checkout",
            json={"amount": 1999, "currency": "KWD", "return_url": "https://shop.example/paid"},
        )
        assert created.status_code == 201, created.text
        payment = created.json()
        page = httpx.get(payment["checkout_url"])
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "1.999 KWD" in page.text
        assert "o-1" in page.text
        assert "/pay" in page.text

        paid = httpx.post(f"{payment['checkout_url']}/pay", data={})
        assert paid.status_code == 303
        assert paid.headers["location"] == "https://shop.example/paid"
        assert client.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "succeeded"
        assert "This payment has already succeeded." in httpx.get(payment["checkout_url"]).text
        again = httpx.post(f"{payment['checkout_url']}/decline")  # a late decline: delivered, then ignored
        assert again.status_code == 303
        assert again.headers["location"] == "https://shop.example/paid"  # no cancel_url: back to return_url

        failing = client.post(
            f"/api/v1/payments/{payment['id']}/refund",
            json={"amount": 500, "note": "simulate:fail"},
            headers={"Idempotency-Key": "refund-1"},
        )
        assert failing.status_code == 202, failing.text
        assert failing.json()["status"] == "pending"
        working = client.post(
            f"/api/v1/payments/{payment['id']}/refund", json={"amount": 700}, headers={"Idempotency-Key": "refund-2"}
        )
        assert working.status_code == 202, working.text

        settled = _wait_for(
            client,
            f"/api/v1/payments/{payment['id']}",
            lambda body: all(r["status"] != "pending" for r in body["refunds"]),
        )
        statuses = {r["amount"]: r["status"] for r in settled["refunds"]}
        assert statuses == {500: "failed", 700: "succeeded"}
        assert settled["status"] == "partially_refunded"
        assert settled["amount_refunded"] == 700


def test_decline_returns_to_the_cancel_url(service: tuple[str, str]) -> None:
    base, key = service
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        payment = client.post(
            "/api/v1/orders/o-2/checkout",
            json={"amount": 100, "currency": "USD", "cancel_url": "https://shop.example/cart"},
        ).json()
        declined = httpx.post(f"{payment['checkout_url']}/decline")
        assert declined.status_code == 303
        assert declined.headers["location"] == "https://shop.example/cart"
        assert client.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "failed"
        assert httpx.get(f"{base}/simulator/checkout/pay_nonexistent").status_code == 404


# ---- the development key: one, kept across restarts ----------------------------------------------------------
def _authenticates(base: str, key: str) -> bool:
    response = httpx.get(f"{base}/api/v1/transactions", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def _dev_keys_listed(tmp_path: Path) -> list[str]:
    """`payments api-keys list`: the lines naming development keys."""
    listed = subprocess.run(
        [sys.executable, "-m", "interfaces.cli.main", "api-keys", "list"],
        cwd=tmp_path,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line for line in listed.stdout.splitlines() if "  dev-admin" in line]


def _serve_once(tmp_path: Path, port: int, name: str) -> tuple[subprocess.Popen[bytes], re.Match[str]]:
    output = tmp_path / f"{name}.txt"
    process = _start(tmp_path, port, output)
    _wait_until_up(f"http://127.0.0.1:{port}", output, process)
    match = DEV_KEY_LINE.search(output.read_text())
    assert match is not None
    return process, match


def test_one_development_key_survives_restarts_and_a_second_serve_on_a_taken_port(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    first, started = _serve_once(tmp_path, port, "first")
    try:
        key, key_file = started["key"], tmp_path / started["file"]
        assert started["new"] is not None
        assert key_file == tmp_path / "serve.db.dev-key"  # beside the SQLite database
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.read_text().strip() == key
        assert _authenticates(base, key)

        second = subprocess.run(
            [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert second.stdout == ""
        [line] = second.stderr.splitlines()  # one line, no traceback
        assert f"cannot listen on 127.0.0.1:{port}" in line
        assert "address already in use" in line.lower()
        assert _authenticates(base, key)  # the running server's key is untouched
        assert key_file.read_text().strip() == key
    finally:
        _stop(first)

    restarted, again = _serve_once(tmp_path, port, "restarted")
    try:
        assert (again["key"], again["new"]) == (key, None)  # the same key, not a new one
        assert _authenticates(base, key)
    finally:
        _stop(restarted)
    [listed] = _dev_keys_listed(tmp_path)
    assert listed.endswith("active")


def test_a_development_key_no_longer_valid_is_replaced_and_its_file_rewritten(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process, started = _serve_once(tmp_path, port, "first")
    _stop(process)
    revoked = subprocess.run(
        [sys.executable, "-m", "interfaces.cli.main", "api-keys", "revoke", "dev-admin"],
        cwd=tmp_path,
        env=_environment(tmp_path),
        capture_output=True,
        timeout=60,
    )
    assert revoked.returncode == 0, revoked.stderr

    process, replaced = _serve_once(tmp_path, port, "after-revoke")
    try:
        assert replaced["new"] is not None
        assert replaced["key"] != started["key"]
        assert (tmp_path / "serve.db.dev-key").read_text().strip() == replaced["key"]
        assert _authenticates(base, replaced["key"])
        assert not _authenticates(base, started["key"])
    finally:
        _stop(process)

    (tmp_path / "serve.db").unlink()  # a fresh database knows no key at all
    process, fresh = _serve_once(tmp_path, port, "new-database")
    try:
        assert fresh["new"] is not None
        assert fresh["key"] != replaced["key"]
        assert _authenticates(base, fresh["key"])
    finally:
        _stop(process)
    assert stat.S_IMODE((tmp_path / "serve.db.dev-key").stat().st_mode) == 0o600
