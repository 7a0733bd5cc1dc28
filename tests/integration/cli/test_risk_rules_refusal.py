"""`payments serve` as a real process refuses a bad risk rules file before it listens: one line per mistake."""

from __future__ import annotations

from pathlib import Path

from tests.integration.cli.test_production_refusals import _serve


def test_serve_refuses_a_bad_rules_file_with_one_line_per_mistake(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nid = "a"\nkind = "geo_fence"\naction = "block"\nscore = 1\n\n'
        '[[rule]]\nid = "b"\nkind = "blocklist"\nips = ["10.0.0.0/33"]\naction = "block"\nscore = 1\n\n'
        '[[rule]]\nid = "c"\nkind = "velocity"\nby = "ip"\nlimit = 3\nwindow_seconds = -1\naction = "review"\nscore = 1\n'
        '\n[[rule]]\nid = "d"\nkind = "max_amount"\ncurrency = "ABC"\namount = 1\naction = "block"\nscore = 1\n'
    )

    done = _serve(
        tmp_path,
        {"PAYMENTS_RISK_RULES": str(rules), "PAYMENTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"},
    )

    assert done.returncode != 0
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    where = f"configuration error: PAYMENTS_RISK_RULES {rules}"
    assert lines[0] == f"{where}: rule 1 (a): unknown kind 'geo_fence' (known: max_amount, blocklist, velocity)"
    assert lines[1].startswith(f"{where}: rule 2 (b): '10.0.0.0/33' in `ips` is not an IP address or CIDR range")
    assert lines[2] == f"{where}: rule 3 (c): `window_seconds` must be at least 1, got -1"
    assert lines[3] == f"{where}: rule 4 (d): unknown currency 'ABC' (an ISO 4217 code such as USD)"
    assert len(lines) == 4
