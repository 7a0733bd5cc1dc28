"""`payments webhook-events replay ID`, in-process against a throwaway SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from application.commands.handle_provider_webhook import HandleProviderWebhook
from infrastructure.container import build_container, close_resources
from infrastructure.db import migrate
from infrastructure.providers.signing import sign
from infrastructure.settings import load_settings
from interfaces.cli.main import main

SECRET = "whsec_cli_" + "1" * 24


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in [n for n in os.environ if n.startswith("PAYMENTS_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PAYMENTS_DATABASE_URL", url)
    monkeypatch.setenv("PAYMENTS_SIMULATOR_WEBHOOK_SECRET", SECRET)
    migrate.upgrade(url)
    return url


def _stored_failed_event() -> str:
    """A signed simulator event for a payment we do not have: stored as failed."""
    now = int(time.time())
    data = {"payment_id": "pay_unknown", "amount": 100, "currency": "USD"}
    body = json.dumps({"id": "evt_cli_1", "type": "payment.succeeded", "created": now, "data": data}).encode()
    headers = {"Simulator-Signature": sign(SECRET, body, now)}

    async def run() -> str:
        container = build_container(load_settings())
        try:
            receipt = await container.bus().send(HandleProviderWebhook("simulator", headers, body))
        finally:
            await close_resources(container)
        assert receipt.status == "failed"
        return receipt.id

    return asyncio.run(run())


def test_replay_prints_the_outcome(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    event_id = _stored_failed_event()

    code = main(["webhook-events", "replay", event_id, "--actor", "ops-bob"])

    out, _ = capsys.readouterr()
    assert code == 0
    assert f"Replayed {event_id} (simulator payment.succeeded evt_cli_1) as ops-bob." in out
    assert "Status failed: payment pay_unknown not found (yet)" in out


def test_replay_of_an_unknown_event_fails(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["webhook-events", "replay", "whe_nope"])

    _, err = capsys.readouterr()
    assert code == 1
    assert "no webhook event whe_nope" in err
