"""The risk rules file: the shipped example reads whole; every mistake is one line and stops the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.payments.risk import RiskDecision
from infrastructure.risk.rules import BlocklistRule, MaxAmountRule, VelocityRule
from infrastructure.risk.rules_file import read_risk_rules
from infrastructure.settings import SettingsError, load_settings

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "risk-rules.toml"


def rules_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return str(path)


def test_no_file_means_no_rules() -> None:
    assert read_risk_rules(None) == (None, [])


def test_the_shipped_example_reads_whole() -> None:
    rules, problems = read_risk_rules(str(EXAMPLE))

    assert problems == []
    assert rules is not None
    assert [r.head.id for r in rules.plain] == ["big-usd", "large-usd", "denylist"]
    assert [r.head.id for r in rules.counted] == ["email-velocity", "ip-velocity", "order-retries"]
    big = rules.plain[0]
    assert isinstance(big, MaxAmountRule)
    assert (big.currency, big.amount, big.head.action, big.head.score) == ("USD", 100000, RiskDecision.BLOCK, 90)
    denylist = rules.plain[2]
    assert isinstance(denylist, BlocklistRule)
    assert denylist.countries == frozenset({"KP"})
    assert len(denylist.networks) == 3
    velocity = rules.counted[0]
    assert isinstance(velocity, VelocityRule)
    assert (velocity.by, velocity.limit, velocity.window_seconds) == ("email", 5, 3600)


BAD = """
[[rule]]
id = "a"
kind = "shoe_size"
action = "block"
score = 1

[[rule]]
id = "b"
kind = "blocklist"
ips = ["10.0.0.0/33", "203.0.113.7/24", "198.51.100.7"]
action = "block"
score = 100

[[rule]]
id = "c"
kind = "velocity"
by = "email"
limit = 5
window_seconds = -60
action = "review"
score = 10

[[rule]]
id = "d"
kind = "max_amount"
currency = "XYZ"
amount = 100
action = "block"
score = 10
"""


def test_each_mistake_is_one_line_naming_the_rule(tmp_path: Path) -> None:
    path = rules_file(tmp_path, BAD)

    rules, problems = read_risk_rules(path)

    where = f"PAYMENTS_RISK_RULES {path}"
    assert problems[0] == f"{where}: rule 1 (a): unknown kind 'shoe_size' (known: max_amount, blocklist, velocity)"
    assert problems[1].startswith(f"{where}: rule 2 (b): '10.0.0.0/33' in `ips` is not an IP address or CIDR range")
    assert problems[2].startswith(f"{where}: rule 2 (b): '203.0.113.7/24' in `ips` is not an IP address or CIDR")
    assert problems[3] == f"{where}: rule 3 (c): `window_seconds` must be at least 1, got -60"
    assert problems[4] == f"{where}: rule 4 (d): unknown currency 'XYZ' (an ISO 4217 code such as USD)"
    assert len(problems) == 5
    assert rules is not None
    assert rules.plain == ()
    assert rules.counted == ()


@pytest.mark.parametrize(
    ("text", "mistake"),
    [
        (
            '[[rule]]\nid = "x"\nkind = "velocity"\nby = "phone"\nlimit = 1\nwindow_seconds = 1\naction = "block"'
            "\nscore = 1",
            "`by` must be one of email, ip, order, got 'phone'",
        ),
        (
            '[[rule]]\nid = "x"\nkind = "blocklist"\nemails = ["a@b.c"]\naction = "deny"\nscore = 1',
            "`action` must be block or review, got 'deny'",
        ),
        (
            '[[rule]]\nid = "x"\nkind = "blocklist"\nemails = ["a@b.c"]\naction = "block"\nscore = 101',
            "`score` must be between 0 and 100, got 101",
        ),
        (
            '[[rule]]\nid = "x"\nkind = "blocklist"\naction = "block"\nscore = 1',
            "lists nothing: give at least one of emails, email_domains, ips, countries",
        ),
        (
            '[[rule]]\nid = "x"\nkind = "blocklist"\ncountries = ["Korea"]\naction = "block"\nscore = 1',
            "'Korea' in `countries` is not an ISO 3166 alpha-2 code (e.g. KP)",
        ),
        (
            '[[rule]]\nid = "x"\nkind = "max_amount"\ncurrency = "USD"\namount = 5\nlimit = 3\naction = "block"'
            "\nscore = 1",
            "unknown field `limit` (this kind has: amount, currency)",
        ),
    ],
)
def test_a_mistake_in_a_field(tmp_path: Path, text: str, mistake: str) -> None:
    _, problems = read_risk_rules(rules_file(tmp_path, text))

    assert [p.split(": ", 2)[2] for p in problems] == [mistake]


def test_duplicate_ids_and_unreadable_files(tmp_path: Path) -> None:
    rule = '[[rule]]\nid = "same"\nkind = "blocklist"\nemails = ["a@b.c"]\naction = "block"\nscore = 1\n'
    _, problems = read_risk_rules(rules_file(tmp_path, rule + rule))
    assert [p.split(": ", 2)[2] for p in problems] == ["`id` 'same' is used by an earlier rule"]

    assert "cannot be read" in read_risk_rules(str(tmp_path / "missing.toml"))[1][0]
    assert "is not valid TOML" in read_risk_rules(rules_file(tmp_path, "[[rule]\n"))[1][0]


def test_a_bad_rules_file_stops_the_start_with_every_mistake(tmp_path: Path) -> None:
    path = rules_file(tmp_path, BAD)

    with pytest.raises(SettingsError) as raised:
        load_settings({"PAYMENTS_RISK_RULES": path, "PAYMENTS_RISK_TIMEOUT_MS": "0"}, env_file=None)

    lines = str(raised.value).splitlines()
    assert len([line for line in lines if line.startswith("PAYMENTS_RISK_RULES")]) == 5
    assert "PAYMENTS_RISK_TIMEOUT_MS must be between 1 and 60000, got 0" in lines


def test_the_risk_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "PAYMENTS_RISK_RULES": str(EXAMPLE),
            "PAYMENTS_RISK_URL": "https://risk.example/score",
            "PAYMENTS_RISK_TIMEOUT_MS": "250",
            "PAYMENTS_RISK_FAIL_OPEN": "false",
        },
        env_file=None,
    )

    assert settings.risk_rules is not None
    assert len(settings.risk_rules.counted) == 3
    assert (settings.risk_url, settings.risk_timeout_ms, settings.risk_fail_open) == (
        "https://risk.example/score",
        250,
        False,
    )
    defaults = load_settings({}, env_file=None)
    assert (defaults.risk_rules, defaults.risk_url, defaults.risk_timeout_ms, defaults.risk_fail_open) == (
        None,
        None,
        300,
        True,
    )
