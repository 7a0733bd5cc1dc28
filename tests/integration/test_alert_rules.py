"""The alert rules in deploy/prometheus/alerts.yml: every metric they read is one the service really exports (a
real `/metrics` scrape), every rule has a unit test that makes it fire, and promtool accepts the rules and passes
each rule's tests (`promtool test rules`, one pytest case per rule).

promtool comes from Debian's `prometheus` package (`make promtool` puts it in .tools/bin). Without it the promtool
tests are skipped with the reason, or fail under PAYMENTS_TEST_REQUIRE_PROMTOOL=1 (CI); the Python checks of
the rules always run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.test_deploy_bundle import DEPLOY, ROOT, exported_metric_types, is_exported, metric_names

RULES = DEPLOY / "prometheus" / "alerts.yml"
RULE_TESTS = DEPLOY / "prometheus" / "alerts.test.yml"


def rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def rule_tests() -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    return tests


ALERTS = [rule["alert"] for rule in rules()]


def promtool() -> str:
    found = ROOT / ".tools" / "bin" / "promtool"
    path = str(found) if found.is_file() else shutil.which("promtool")
    if path is None:
        reason = "promtool is not installed (`make promtool` takes it from Debian's prometheus package)"
        if os.environ.get("PAYMENTS_TEST_REQUIRE_PROMTOOL") == "1":
            pytest.fail(f"PAYMENTS_TEST_REQUIRE_PROMTOOL=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


async def test_every_rule_reads_only_metrics_the_service_exports(sqlite: str) -> None:
    used = {rule["alert"]: metric_names(rule["expr"]) for rule in rules()}
    assert all(used.values()), f"a rule reads no metric: {used}"
    types = await exported_metric_types(sqlite)
    missing = {alert: sorted(n for n in names if not is_exported(n, types)) for alert, names in used.items()}
    assert {alert: names for alert, names in missing.items() if names} == {}


def test_the_rules_cover_what_operations_must_hear_about() -> None:
    read = {name for rule in rules() for name in metric_names(rule["expr"])}
    watched = {
        "payments_webhook_events_total",  # webhook failures and refusals
        "payments_webhook_events_dead",
        "payments_notifications_total",  # dead callbacks
        "payments_notifications_oldest_waiting_seconds",  # the callback backlog
        "payments_outbox_pending",
        "payments_stuck_payments",
        "payments_provider_circuit_open",
        "payments_http_requests_total",  # the 5xx rate
        "payments_ready",
    }
    assert watched <= read, f"no rule reads {sorted(watched - read)}"
    for rule in rules():
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def test_every_rule_has_a_test_that_makes_it_fire() -> None:
    firing = {
        case["alertname"] for test in rule_tests() for case in test.get("alert_rule_test", []) if case.get("exp_alerts")
    }
    assert sorted(set(ALERTS) - firing) == []
    assert len(ALERTS) == len(set(ALERTS)), "two rules share a name"


def test_prometheus_loads_the_rules_and_compose_mounts_them() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in compose["services"]["prometheus"]["volumes"]


def test_promtool_checks_the_rules() -> None:
    run = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in run.stdout


@pytest.mark.parametrize("alert", ALERTS)
def test_promtool_unit_tests_of_each_rule(alert: str, tmp_path: Path) -> None:
    """The tests of alerts.test.yml that evaluate `alert`, run by `promtool test rules` on their own."""
    tool = promtool()
    mine = []
    for test in rule_tests():
        cases = [case for case in test.get("alert_rule_test", []) if case["alertname"] == alert]
        if cases:
            mine.append({**test, "alert_rule_test": cases})
    assert mine, f"no test evaluates {alert}"
    suite = {"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": mine}
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(suite, sort_keys=False))
    run = subprocess.run([tool, "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout
