"""The deploy/ bundle agrees with the service: every metric the Grafana dashboard queries is one the app
exports (read from a real `/metrics` scrape), the compose file names the services and wires them as the
Prometheus and Grafana configs expect, and the Dockerfile builds a non-root, multi-stage image.

No Docker engine is needed: the files are parsed, not run."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar.testing import AsyncTestClient

from infrastructure.providers import catalogue
from infrastructure.settings import ConfiguredApiKey, Settings
from interfaces.http.app import create_app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "payments.json"
ADMIN_KEY = "deploy-bundle-admin-key-0123456789"
# DESIGN.md, Observability: the dashboard shows each of these
METRIC_SET = {
    "payments_http_requests_total",
    "payments_http_request_duration_seconds",
    "payments_webhook_events_total",
    "payments_checkouts_total",
    "payments_refunds_total",
    "payments_provider_request_duration_seconds",
    "payments_status_transitions_total",
    "payments_outbox_pending",
    "payments_notifications_total",
}
REQUIRED_SERVICES = {"postgres", "redis", "migrate", "api", "worker", "prometheus", "grafana"}
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")
# PromQL words that are not metric names: aggregation modifiers, set and vector-matching operators
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: what is left once strings, label matchers, ranges,
    grouping clauses, functions and keywords are removed."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\boffset\s+-?[0-9smhdwy]+", " ", text)  # `x offset 1h` (alert rules compare with the past)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or match.group() in _KEYWORDS:
            continue  # a function or an aggregation
        names.add(match.group())
    return names


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    exprs += [str(v["query"]) for v in dashboard.get("templating", {}).get("list", []) if v.get("type") == "query"]
    return exprs


def test_metric_name_extraction() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, route) (rate(payments_x_bucket{status=~"5.."}[$__rate_interval])))'
    assert metric_names(expr) == {"payments_x_bucket"}
    assert metric_names("sum(a_total) / sum(increase(b_total[1h])) and on (x) c") == {"a_total", "b_total", "c"}
    assert metric_names("max(d) - max(d offset 1h) > 0") == {"d"}


async def exported_metric_types(sqlite: str) -> dict[str, str]:
    """`# TYPE` lines of a real scrape, after requests have gone through the app."""
    settings = Settings(
        database_url=sqlite, api_keys=(ConfiguredApiKey("admin", ADMIN_KEY, ("admin",)),), providers=("simulator",)
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
        created = await client.post(
            "/api/v1/orders/deploy-1/checkout", json={"amount": 1000, "currency": "USD"}, headers=auth
        )
        assert created.status_code == 201, created.text
        assert (await client.get(f"/api/v1/payments/{created.json()['id']}", headers=auth)).status_code == 200
        assert (await client.get("/no/such/route")).status_code == 404
        scrape = await client.get("/metrics")
    assert scrape.status_code == 200, scrape.text
    types = {}
    for line in scrape.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
    return types


def is_exported(name: str, types: dict[str, str]) -> bool:
    if name in types:
        return True
    base = next((name.removesuffix(s) for s in HISTOGRAM_SERIES if name.endswith(s)), None)
    return base is not None and types.get(base) == "histogram"


async def test_every_dashboard_metric_is_exported_by_the_service(sqlite: str) -> None:
    used = set().union(*(metric_names(expr) for expr in dashboard_exprs()))
    types = await exported_metric_types(sqlite)
    missing = sorted(name for name in used if not is_exported(name, types))
    assert missing == [], f"the dashboard queries metrics the service does not export: {missing}"
    shown = {re.sub(r"_(bucket|sum|count)$", "", name) for name in used}
    assert shown >= METRIC_SET, f"no panel shows {sorted(METRIC_SET - shown)}"


def test_the_dashboard_has_the_required_panels() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    titles = [panel["title"] for panel in dashboard["panels"]]
    assert len(set(titles)) == len(titles)
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(titles)
    exprs = "\n".join(dashboard_exprs())
    for quantile in ("0.5", "0.95", "0.99"):
        assert (
            f"histogram_quantile({quantile}, sum by (le) (rate(payments_http_request_duration_seconds_bucket" in exprs
        )
    assert 'status=~"5.."' in exprs  # error rate as the 5xx share
    assert 'to_status="succeeded"' in exprs  # conversion: succeeded transitions over checkouts created
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == _datasource()["uid"]


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return compose


def _datasource() -> dict[str, Any]:
    provisioning = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    datasource: dict[str, Any] = provisioning["datasources"][0]
    return datasource


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return command if isinstance(command, list) else shlex.split(command)


def _dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def test_compose_names_the_services_and_configures_them_through_env_placeholders() -> None:
    services = _compose()["services"]
    assert set(services) >= REQUIRED_SERVICES
    assert _command(services["api"]) == ["payments", "serve", "--workers", "2"]
    assert _command(services["worker"]) == ["payments", "worker"]
    assert _command(services["migrate"]) == ["payments", "db", "upgrade"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    env = services["migrate"]["environment"]
    for name in ("api", "worker"):  # the same configuration, plus the shared metrics directory
        assert {k: v for k, v in services[name]["environment"].items() if k != "PROMETHEUS_MULTIPROC_DIR"} == env
    assert env["PAYMENTS_ENV"] == "production"
    assert "@postgres:5432/" in env["PAYMENTS_DATABASE_URL"]
    assert env["PAYMENTS_REDIS_URL"].startswith("redis://redis:6379")
    for name, value in env.items():
        if re.search(r"KEY|SECRET|HASH|PASSWORD|API_KEYS|PROVIDERS", name):
            assert re.fullmatch(r"\$\{[A-Z_]+:[-?][^}]*\}", value), f"{name} must come from deploy/.env, not the file"
    example = (DEPLOY / ".env.example").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", (DEPLOY / "docker-compose.yml").read_text()))
    assert required
    assert all(re.search(rf"^{name}=", example, re.MULTILINE) for name in required)


def test_compose_passes_every_variable_a_real_provider_requires() -> None:
    """The payments containers get deploy/.env whole, so every provider's variables reach them without compose
    naming a provider; from the catalogue: a provider added there fails here until .env.example shows its
    variables to the operator."""
    services = _compose()["services"]
    assert {name: services[name].get("env_file") for name in ("migrate", "api", "worker")} == dict.fromkeys(
        ("migrate", "api", "worker"), ".env"
    )
    example = (DEPLOY / ".env.example").read_text()
    required = [
        variable for plugin in catalogue.PROVIDERS if plugin.name != "simulator" for variable in plugin.required
    ]
    assert required
    assert [v for v in required if not re.search(rf"^{v}=", example, re.MULTILINE)] == []


def test_dockerfile_is_multi_stage_from_the_lock_and_runs_unprivileged() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(stages) >= 2
    assert stages[-1] == "python:3.11-slim"
    assert "uv sync --locked --no-dev" in text
    final_stage = text.rsplit("\nFROM ", 1)[1]
    users = re.findall(r"^USER\s+(\S+)", final_stage, re.MULTILINE)
    assert users
    assert users[-1] not in ("root", "0", "0:0")
    assert re.search(r"^HEALTHCHECK .*/health", final_stage.replace("\\\n", " "), re.MULTILINE)
    assert re.search(r'^CMD \["payments", "serve"\]', final_stage, re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text()
    assert ".env" in ignored


def test_prometheus_scrapes_compose_services_on_their_ports() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    services = _compose()["services"]
    api_port = services["api"]["environment"].get("PAYMENTS_PORT") or _dockerfile_env()["PAYMENTS_PORT"]
    listening = {"api": str(api_port), "worker": None}
    targets = [
        (job.get("metrics_path", "/metrics"), target)
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    ]
    assert targets
    for path, target in targets:
        host, _, port = target.partition(":")
        assert host in services, f"{target}: no compose service {host}"
        assert listening.get(host) == port, f"{target}: {host} does not listen on {port}"
        assert path == "/metrics"
    # Grafana: the datasource is the compose Prometheus, the dashboards folder is mounted where the provider reads
    assert _datasource()["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/payments.yml").read_text())["providers"][0]
    mounts = [volume.split(":") for volume in services["grafana"]["volumes"]]
    assert ["./grafana/dashboards", provider["options"]["path"], "ro"] in mounts
    assert ["./grafana/provisioning", "/etc/grafana/provisioning", "ro"] in mounts
    assert "./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in services["prometheus"]["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]


@pytest.mark.parametrize("name", ["api", "worker"])
def test_api_and_worker_share_the_metrics_directory(name: str) -> None:
    services = _compose()["services"]
    directory = services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert f"metrics:{directory}" in services[name]["volumes"]
