"""The benchmark: `make bench` (or `uv run python bench/run.py --help`).

One run: a fresh Postgres database (`payments_bench`), migrated by the service (`payments db upgrade`), seeded with
1,000,000 payments, VACUUM ANALYZE; then `payments serve` (one uvicorn worker) pinned to CPU 0 and Postgres
pinned to CPU 1 with the load generator (bench/loadgen.py, its own process). Scenarios, each warmed up, then
bounded by request count and time: webhook ingest, checkout, status reads, transactions listing, the console's
list pages; and the two ceilings, each its own server on CPU 0: the least work a correct webhook must do, in raw
SQL (ceiling_raw_webhook.py), and a bare endpoint returning a constant (ceiling_hello.py). All of that --rounds
times (default 3), the ceilings first in every other round; each round's scenario is divided by that round's
ceiling, and the median ratio with its spread is reported and judged (rounds.py). Results:
bench/results/<timestamp>.json (every round) and a table. Any unexpected status fails the run. bench/README.md
says what each scenario and ceiling does.

Status reads come in two patterns. `status` is polling, the endpoint's real use: the same IN_FLIGHT_ORDERS orders
read round-robin, each again every IN_FLIGHT_ORDERS requests, so a status cache serves most of them.
`status_cold` reads a different order every request, none of them an in-flight one: no read can be a cache hit,
so it shows the database path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import console
import msgspec
import outbox
import processes
import rounds as rounds_of
import seed
import workload

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
DATABASE = "payments_bench"
RISK_RULES = BENCH / "risk_rules.toml"
SERVICE_SCENARIOS = ("webhook", "checkout", "status", "status_cold", "transactions", "console")
CEILINGS = ("raw_webhook", "hello")
ONCE = ("outbox",)  # after the rounds, once: an absolute target (outbox.py), no ceiling
CONCURRENCY = {
    "webhook": 16,
    "checkout": 16,
    "status": 32,
    "status_cold": 32,
    "transactions": 4,
    "console": 4,
    "raw_webhook": 16,
    "hello": 32,
    "outbox": outbox.SENDERS,  # an open workload at a fixed rate: senders enough that none waits behind another
}
STRIPE_WEBHOOK_SECRET = "whsec_bench_" + "0" * 24
API_KEY = "pay_sk_bench_" + secrets.token_hex(16)
LISTING_PAGES = 4  # each filter's first page and the pages after it, following next_cursor
# The status endpoint's real use is polling: an order system asks again and again for the status of each order
# in flight while its customers pay. `status` models that: it goes round this many orders, always in the same
# order, so each comes back every IN_FLIGHT_ORDERS requests (a poll interval), ~20 times in a default run.
IN_FLIGHT_ORDERS = 1_000

# The targets of the second speed round (the medians across rounds are judged): what is compared, threshold.
TARGETS = {
    "webhook": "≥80% of raw ceiling, p99 < 50 ms",
    "checkout": "≥60% of raw ceiling",
    "status": "≥75% of hello ceiling",
    "status_cold": "≥40% of hello ceiling",
    "transactions": "p99 < 20 ms for every filter",
    "console": f"p99 < {console.TARGET_P99_MS} ms for every page",
    "rss": "< 150 MB after the run",
    "outbox": f"worker keeps up with {outbox.OUTBOX_RATE} webhooks/s (backlog flat, every callback delivered)",
}


def main() -> int:
    args = parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, load_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="payments-bench-"))
    payments_cli = app_command(args.app_dir)
    admin_url = args.postgres_url
    url = seed.with_database(admin_url, args.database)
    scenarios = args.scenarios
    report: dict[str, Any] = {
        "started_at": stamp,
        "app_dir": str(args.app_dir or ROOT),
        "git": git_describe(args.app_dir or ROOT),
        "machine": {"cpus": len(cpus), "server_cpu": server_cpu, "load_cpu": load_cpu, "load_avg": os.getloadavg()},
        "limits": {
            "requests": args.requests,
            "duration_s": args.duration,
            "warmup": args.warmup,
            "rounds": args.rounds,
        },
        "concurrency": {name: CONCURRENCY[name] for name in scenarios},
        "scenarios": {},
    }
    print(f"bench: {', '.join(scenarios)}; server on CPU {server_cpu}, load generator + Postgres on CPU {load_cpu}")

    started = time.monotonic()
    asyncio.run(seed.recreate_database(admin_url, args.database))
    env = service_env(url, args.risk_rules)
    report["risk_rules"] = str(args.risk_rules) if args.risk_rules else None
    subprocess.run([*payments_cli, "db", "upgrade"], env=env, cwd=args.app_dir or ROOT, check=True)
    distinct = args.requests + args.warmup
    # every round sends its own webhooks: each payment is paid once
    webhook_payments = distinct * args.rounds if "webhook" in scenarios or "raw_webhook" in scenarios else 0
    fed_by_outbox = outbox.needed(args.duration) if "outbox" in scenarios else 0  # after the rounds' own
    webhook_payments += fed_by_outbox
    # the in-flight orders, and as many others as status_cold sends requests (each reads an order once)
    seeded = asyncio.run(seed.seed(url, args.rows, webhook_payments, IN_FLIGHT_ORDERS + distinct))
    asyncio.run(seed.vacuum_analyze(url))
    report["seed"] = {
        "payments": seeded.payments,
        "refunds": seeded.refunds,
        "seconds": round(time.monotonic() - started, 1),
        "postgres": asyncio.run(postgres_settings(url)),
    }
    print(f"seeded {seeded.payments:,} payments and {seeded.refunds:,} refunds in {report['seed']['seconds']} s")

    # SIGTERM runs the same clean-up as Ctrl-C: servers stopped, Postgres' CPU affinity given back
    signal.signal(signal.SIGTERM, _interrupted)
    report["machine"]["load_avg_before_scenarios"] = os.getloadavg()
    if os.getloadavg()[0] > 0.5:
        print(
            f"WARNING: load average {os.getloadavg()[0]:.1f} before measuring: other work shares these CPUs, so "
            "the figures understate this service (run on an idle machine for numbers to compare)"
        )
    with processes.pinned_postgres(load_cpu) as pinning:
        report["machine"]["postgres_pinning"] = pinning.note
        print(pinning.note)
        report["rounds"] = []
        for number in range(args.rounds):
            # alternate which comes first, so neither the service nor the ceilings always get the later minute
            print(f"round {number + 1} of {args.rounds}", flush=True)
            one: dict[str, Any] = {"scenarios": {}}
            ceilings_first = number % 2 == 1
            if ceilings_first:
                run_ceilings(args, one, seeded, url, work, server_cpu, load_cpu, number)
            run_service(args, one, seeded, url, env, payments_cli, work, stamp, server_cpu, load_cpu, number)
            if not ceilings_first:
                run_ceilings(args, one, seeded, url, work, server_cpu, load_cpu, number)
            judge(one)
            report["rounds"].append(one)

        report["scenarios"] = rounds_of.combine(report["rounds"])
        if "outbox" in scenarios:
            print("outbox (once)", flush=True)
            report["outbox"] = outbox.run(
                payments=seeded.webhook_service[len(seeded.webhook_service) - fed_by_outbox :],
                url=url,
                env=env,
                serve=[*payments_cli, "serve", "--host", "127.0.0.1"],
                worker=[*payments_cli, "worker"],
                cwd=args.app_dir or ROOT,
                work=work,
                server_cpu=server_cpu,
                side_cpu=load_cpu,
                duration=args.duration,
                webhook_secret=STRIPE_WEBHOOK_SECRET,
            )
            print_outbox(report["outbox"])
    report["rss_mb"] = rounds_of.last_rss(report["rounds"])
    judge(report)
    path = RESULTS / f"{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nresults: {path.relative_to(ROOT)}")
    if not args.keep_db:
        asyncio.run(drop_database(admin_url, args.database))
    errors = sum(result.get("errors", 0) for result in report["scenarios"].values())
    errors += report.get("outbox", {}).get("errors", 0)
    if errors:
        print(f"\nFAILED: {errors} unexpected answers (see error_samples in the JSON)", file=sys.stderr)
        return 1
    return 0


def _interrupted(*_: object) -> None:
    raise KeyboardInterrupt


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the payments service against ceilings on this machine.")
    every = SERVICE_SCENARIOS + CEILINGS + ONCE
    parser.add_argument(
        "--scenarios", default=",".join(every), help=f"comma-separated, from {', '.join(every)} (default: all)"
    )
    parser.add_argument("--requests", type=int, default=20_000, help="measured requests per scenario at most")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per scenario at most")
    parser.add_argument("--warmup", type=int, default=1_000, help="requests per scenario before measuring")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of every scenario and ceiling, alternating; medians reported"
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="payments in the table")
    parser.add_argument("--app-dir", type=Path, help="run `payments` from this checkout's .venv (before/after runs)")
    parser.add_argument("--profile", action="store_true", help="py-spy flame graph per service scenario")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database afterwards")
    # several people may bench on one Postgres server at once: each run its own database
    parser.add_argument("--database", default=DATABASE, help=f"database to (re)create and drop (default {DATABASE})")
    parser.add_argument(
        "--risk-rules",
        type=Path,
        default=RISK_RULES,
        help="PAYMENTS_RISK_RULES for the service (default: bench/risk_rules.toml, a velocity rule per e-mail "
        "that every checkout is counted against); 'none' runs without risk rules",
    )
    parser.add_argument(
        "--postgres-url",
        default=seed.admin_url(),
        help="server to create the database on (default PAYMENTS_BENCH_POSTGRES_URL or local postgres)",
    )
    args = parser.parse_args()
    args.risk_rules = None if str(args.risk_rules) == "none" else args.risk_rules.resolve()
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(args.scenarios) - set(every)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.rows < 2:
        parser.error("--rows must be at least 2: one order to poll (status) and one to read cold (status_cold)")
    if args.duration + args.warmup / 100 > 240:
        parser.error("--duration must stay well under Stripe's 300 s signature tolerance (webhooks are pre-signed)")
    return args


def app_command(app_dir: Path | None) -> list[str]:
    venv = (app_dir.resolve() if app_dir else ROOT) / ".venv" / "bin" / "payments"
    if not venv.exists():
        raise SystemExit(f"{venv} not found: run `uv sync` in {venv.parents[2]} first")
    return [str(venv)]


def service_env(database_url: str, risk_rules: Path | None) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENTS_")}
    # a checkout is assessed against the rules file (a service from before risk checks ignores the variable)
    risk = {"PAYMENTS_RISK_RULES": str(risk_rules)} if risk_rules is not None else {}
    return {
        **risk,
        **keep,
        "PAYMENTS_ENV": "development",
        "PAYMENTS_DATABASE_URL": database_url,
        "PAYMENTS_WORKER_IN_PROCESS": "false",
        "PAYMENTS_LOG_LEVEL": "warning",
        "PAYMENTS_PROVIDERS": "stripe,simulator",
        "PAYMENTS_STRIPE_SECRET_KEY": "sk_test_bench_not_a_real_key",
        "PAYMENTS_STRIPE_WEBHOOK_SECRETS": STRIPE_WEBHOOK_SECRET,
        "PAYMENTS_STRIPE_API_BASE": "http://127.0.0.1:9",  # never called by these scenarios
        "PAYMENTS_SIMULATOR_WEBHOOK_SECRET": "whsec_sim_bench_" + "0" * 16,
        "PAYMENTS_API_KEYS": json.dumps([{"name": "bench", "key": API_KEY, "scopes": ["admin"]}]),
        # rate limits far above anything one core can serve, so they never answer 429 here
        "PAYMENTS_RATE_LIMIT_PER_SECOND": "1000000",
        "PAYMENTS_RATE_LIMIT_PER_MINUTE": "60000000",
        "PAYMENTS_WEBHOOK_RATE_LIMIT_PER_SECOND": "1000000",
    }


def run_service(
    args: argparse.Namespace,
    report: dict[str, Any],
    seeded: seed.Seeded,
    url: str,
    env: dict[str, str],
    payments_cli: list[str],
    work: Path,
    stamp: str,
    server_cpu: int | None,
    load_cpu: int | None,
    number: int,
) -> None:
    wanted = [name for name in SERVICE_SCENARIOS if name in args.scenarios]
    if not wanted:
        return
    port = processes.free_port()
    command = [*payments_cli, "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = processes.start("service", command, port, env, args.app_dir or ROOT, work, server_cpu)
    run_id = f"{stamp.lower()}-r{number}"
    in_flight, cold = split_status_orders(seeded.order_ids)
    try:
        for name in wanted:
            reads: dict[str, Any] = {}  # for the status scenarios: which orders, and whether reads repeat
            if name == "webhook":
                payments = this_round(seeded.webhook_service, number, args)
                requests = workload.webhooks(port, payments, STRIPE_WEBHOOK_SECRET, f"bench_svc_r{number}")
                cycle = False
            elif name == "checkout":
                requests = workload.checkouts(port, args.requests + args.warmup, API_KEY, run_id)
                cycle = False
            elif name == "status":
                requests = workload.status_reads(port, in_flight, API_KEY, name)
                cycle = True
                polling = f"polling {len(in_flight):,} orders in flight, round-robin"
                reads = {"orders": len(in_flight), "cycled": True, "note": polling}
            elif name == "status_cold":
                orders, cycle, note = cold_orders(cold, args.requests + args.warmup)
                requests = workload.status_reads(port, orders, API_KEY, name)
                reads = {"orders": len(orders), "cycled": cycle, "note": note}
            elif name == "console":  # the admin console's list pages, signed in through its form
                pages = console.console_pages(listing_pages(port, seeded))
                requests = console.requests(port, console.sign_in(port, API_KEY), pages)
                cycle = True
            else:
                requests = workload.listing(port, listing_pages(port, seeded), API_KEY)
                cycle = True
            spy = start_profiler(server, name, stamp, load_cpu) if args.profile else None
            result = drive(name, port, requests, cycle, args, work, load_cpu, server)
            result.update(reads)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
                result["profile"] = str((RESULTS / f"{stamp}-{name}.svg").relative_to(ROOT))
            result["checked"] = asyncio.run(check_effects(name, url, result, run_id, number))
            report["scenarios"][name] = result
            print_line(name, result)
        report["rss_mb"] = server.rss_mb()
        print(f"service resident memory after the run: {report['rss_mb']} MB")
    finally:
        server.stop()


def run_ceilings(
    args: argparse.Namespace,
    report: dict[str, Any],
    seeded: seed.Seeded,
    url: str,
    work: Path,
    server_cpu: int | None,
    load_cpu: int | None,
    number: int,
) -> None:
    for name in (n for n in CEILINGS if n in args.scenarios):
        port = processes.free_port()
        env = {**os.environ, "BENCH_DATABASE_DSN": seed.dsn(url), "BENCH_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET}
        script = BENCH / f"ceiling_{name}.py"
        server = processes.start(
            name, [sys.executable, str(script), "--port", str(port)], port, env, BENCH, work, server_cpu
        )
        try:
            if name == "raw_webhook":
                payments = this_round(seeded.webhook_raw, number, args)
                requests = workload.webhooks(port, payments, STRIPE_WEBHOOK_SECRET, f"bench_raw_r{number}")
                result = drive(name, port, requests, False, args, work, load_cpu, server)
                result["checked"] = asyncio.run(check_effects(name, url, result, "", number))
            else:
                result = drive(name, port, workload.hello(port), True, args, work, load_cpu, server)
            result["rss_mb"] = server.rss_mb()
        finally:
            server.stop()
        report["scenarios"][name] = result
        print_line(name, result)


def this_round(payments: list[seed.WebhookPayment], number: int, args: argparse.Namespace) -> list[seed.WebhookPayment]:
    """The payments round `number` pays by webhook: its own slice, so no round sees another's duplicates."""
    distinct = args.requests + args.warmup
    return payments[number * distinct : (number + 1) * distinct]


def split_status_orders(order_ids: list[str]) -> tuple[list[str], list[str]]:
    """The sample in two disjoint parts: the first IN_FLIGHT_ORDERS orders, which `status` polls, and the rest,
    which `status_cold` reads, so that a cache warmed by `status` (it runs first) cannot help `status_cold`.
    A sample of fewer than twice IN_FLIGHT_ORDERS (only from a table of under 2,000 rows) is split in halves, so
    `status_cold` still has orders of its own."""
    count = min(IN_FLIGHT_ORDERS, len(order_ids) // 2)
    return order_ids[:count], order_ids[count:]


def cold_orders(cold: list[str], needed: int) -> tuple[list[str], bool, str]:
    """The orders `status_cold` reads, whether the load generator cycles over them, and a note saying which.

    Normally there is a different order for every request (warm-up included: seed.seed sizes the sample for it)
    and nothing repeats. Only a table with fewer rows than in-flight + warm-up + measured requests leaves fewer:
    then the reads go round them rather than ending the run early (a handful of measured requests would say
    nothing), and the note, printed and in the JSON, says that each order comes back every len(cold) requests,
    so a cache may serve those."""
    if len(cold) >= needed:
        return cold[:needed], False, f"{needed:,} orders, each read once"
    return cold, True, f"CYCLED: only {len(cold):,} orders for {needed:,} reads, so reads repeat: cache hits possible"


def drive(
    name: str,
    port: int,
    requests: list[workload.Request],
    cycle: bool,
    args: argparse.Namespace,
    work: Path,
    load_cpu: int | None,
    server: processes.Server,
) -> dict[str, Any]:
    """The load generator, in its own process on its own CPU, over these requests. Also how busy the server's
    CPU was meanwhile (warm-up included): near 100% means the server is the bottleneck, far below means it
    waited (on Postgres, or on a load generator that could not keep up)."""
    path = work / f"{name}.msgpack"
    path.write_bytes(msgspec.msgpack.encode(requests))
    command = processes.loadgen_command(
        path,
        port,
        concurrency=CONCURRENCY[name],
        requests=args.requests,
        duration=args.duration,
        warmup=args.warmup,
        cpu=load_cpu,
        cycle=cycle,
    )
    cpu_before, wall_before, steal_before = server.cpu_seconds(), time.monotonic(), processes.cpu_steal()
    finished = subprocess.run(command, capture_output=True, check=False, timeout=args.duration + 300)
    server_busy = (server.cpu_seconds() - cpu_before) / (time.monotonic() - wall_before)
    steal = processes.steal_share(steal_before, processes.cpu_steal())
    if finished.returncode != 0:
        raise RuntimeError(f"load generator failed for {name}:\n{finished.stderr.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(finished.stdout)
    result["server_cpu_busy"] = round(server_busy, 2)
    result["cpu_steal"] = steal
    return result


def listing_pages(port: int, seeded: seed.Seeded) -> dict[str, list[dict[str, str]]]:
    """Every documented filter (and some combinations), each with its first pages, found by following
    `next_cursor` like a client would, before the clock starts."""
    newest = seeded.newest
    day = timedelta(days=1)

    def moment(value: datetime) -> str:
        return value.isoformat().replace("+00:00", "Z")

    filters: dict[str, dict[str, str]] = {
        "no filter": {},
        "status": {"status": "succeeded"},
        "status (rare)": {"status": "disputed"},
        "provider": {"provider": "stripe"},
        "provider (rare)": {"provider": "simulator"},
        "kind=payment": {"kind": "payment"},
        "kind=refund": {"kind": "refund"},
        "order_id": {"order_id": seeded.order_ids[len(seeded.order_ids) // 2]},
        "currency": {"currency": "EUR"},
        "currency (rare)": {"currency": "UGX"},
        "created_after": {"created_after": moment(newest - 7 * day)},
        "created_before": {"created_before": moment(newest - 180 * day)},
        "created window": {"created_after": moment(newest - 41 * day), "created_before": moment(newest - 40 * day)},
        "provider+currency": {"provider": "paystack", "currency": "NGN"},
        "status+provider+window": {
            "status": "succeeded",
            "provider": "paypal",
            "created_after": moment(newest - 90 * day),
            "created_before": moment(newest - 30 * day),
        },
    }
    pages: dict[str, list[dict[str, str]]] = {}
    for label, query in filters.items():
        pages[label] = []
        cursor = None
        for _ in range(LISTING_PAGES):
            params = {**query, "limit": "50", **({"cursor": cursor} if cursor else {})}
            pages[label].append(params)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/transactions?{urlencode(params)}",
                headers={"Authorization": f"Bearer {API_KEY}"},
            )
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our own http://127.0.0.1
                cursor = json.loads(answer.read())["next_cursor"]
            if cursor is None:
                break
    return pages


def start_profiler(server: processes.Server, name: str, stamp: str, cpu: int | None) -> subprocess.Popen[bytes]:
    # PAYMENTS_BENCH_PROFILE_FORMAT=raw writes collapsed stacks (greppable text) instead of a flame graph
    profile_format = os.environ.get("PAYMENTS_BENCH_PROFILE_FORMAT", "flamegraph")
    output = RESULTS / f"{stamp}-{name}.{'txt' if profile_format == 'raw' else 'svg'}"
    py_spy = Path(sys.executable).parent / "py-spy"
    command = [str(py_spy), "record", "--pid", str(server.process.pid), "--output", str(output), "--rate", "200"]
    command += ["--format", profile_format]
    spy = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=processes.pinned_to(cpu)
    )
    time.sleep(1.0)  # attached before the load starts
    return spy


async def check_effects(name: str, url: str, result: dict[str, Any], run_id: str, number: int) -> dict[str, Any]:
    """What the database says happened: every webhook processed once, every checkout stored. A mismatch is
    counted as errors, so a fast answer that did not do the work fails the run."""
    connection = await asyncpg.connect(seed.dsn(url))
    try:
        if name in ("webhook", "raw_webhook"):
            prefix = f"evt_bench_{'svc' if name == 'webhook' else 'raw'}_r{number}_%"
            rows = await connection.fetch(
                "SELECT status, count(*) AS n FROM webhook_events WHERE event_id LIKE $1 GROUP BY status", prefix
            )
            found = {row["status"]: row["n"] for row in rows}
            applied = await connection.fetchval(
                "SELECT count(*) FROM payment_events WHERE provider_event_id LIKE $1 AND type = 'payment.succeeded'",
                prefix,
            )
            checked = {"inbox": found, "succeeded_events": applied}
            wrong = sum(n for status, n in found.items() if status != "processed")
            missing = result["sent_total"] - found.get("processed", 0) + (found.get("processed", 0) - applied)
        elif name == "checkout":
            stored = await connection.fetchval(
                "SELECT count(*) FROM payments WHERE order_id LIKE $1 AND status = 'processing'",
                f"bench-co-{run_id}-%",
            )
            checked = {"payments_stored": stored}
            wrong, missing = 0, result["sent_total"] - stored
        else:
            return {}
    finally:
        await connection.close()
    if wrong or missing:
        result["errors"] += wrong + abs(missing)
        result["error_samples"].append(f"database check: {checked} for {result['sent_total']} requests sent")
    return checked


async def postgres_settings(url: str) -> dict[str, str]:
    connection = await asyncpg.connect(seed.dsn(url))
    try:
        names = ("server_version", "synchronous_commit", "fsync", "shared_buffers", "max_connections")
        return {name: await connection.fetchval(f"SHOW {name}") for name in names}
    finally:
        await connection.close()


async def drop_database(admin_url: str, database: str) -> None:
    connection = await asyncpg.connect(seed.dsn(admin_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


def judge(report: dict[str, Any]) -> None:
    """Each scenario as a fraction of its ceiling, and the issue's targets as pass/fail."""
    found = report["scenarios"]
    raw = found.get("raw_webhook", {}).get("rps")
    hello = found.get("hello", {}).get("rps")
    verdicts: dict[str, Any] = {}

    def fraction(name: str, ceiling: float | None, reference: str) -> float | None:
        if name not in found or not ceiling:
            return None
        if "round_fractions" in found[name]:  # several rounds: the median of each round's own ratio
            found[name]["reference"] = reference
            return float(found[name]["fraction"])
        share = round(found[name]["rps"] / ceiling, 3)
        found[name]["reference"], found[name]["fraction"] = reference, share
        return share

    webhook = fraction("webhook", raw, "raw_webhook")
    if webhook is not None:
        verdicts["webhook"] = webhook >= 0.80 and found["webhook"]["p99_ms"] < 50
    checkout = fraction("checkout", raw, "raw_webhook")
    if checkout is not None:
        verdicts["checkout"] = checkout >= 0.60
    status = fraction("status", hello, "hello")
    if status is not None:
        verdicts["status"] = status >= 0.75
    status_cold = fraction("status_cold", hello, "hello")
    if status_cold is not None and not found["status_cold"].get("cycled"):
        verdicts["status_cold"] = status_cold >= 0.40
    if "transactions" in found:
        worst = max(found["transactions"]["by_label"].items(), key=lambda item: item[1]["p99_ms"])
        found["transactions"]["worst_filter"] = {"filter": worst[0], "p99_ms": worst[1]["p99_ms"]}
        verdicts["transactions"] = worst[1]["p99_ms"] < 20
    if "console" in found:
        worst = max(found["console"]["by_label"].items(), key=lambda item: item[1]["p99_ms"])
        found["console"]["worst_page"] = {"page": worst[0], "p99_ms": worst[1]["p99_ms"]}
        verdicts["console"] = worst[1]["p99_ms"] < console.TARGET_P99_MS
    if report.get("rss_mb") is not None:
        verdicts["rss"] = report["rss_mb"] < 150
    if "outbox" in report:
        verdicts["outbox"] = report["outbox"]["keeps_up"]
    report["targets"] = {name: {"target": TARGETS[name], "pass": ok} for name, ok in verdicts.items()}
    if "status_cold" in found and found["status_cold"].get("cycled"):  # reads repeat: cache hits, no target
        report["targets"]["status_cold"] = {"target": f"— ({found['status_cold']['note']})", "pass": None}


def print_line(name: str, result: dict[str, Any]) -> None:
    note = f"  ({result['note']})" if "note" in result else ""
    print(
        f"  {name:<13} {result['rps']:>8.0f} req/s  p50 {result['p50_ms']:6.1f}  p99 {result['p99_ms']:6.1f}  "
        f"max {result['max_ms']:7.1f} ms  errors {result['errors']}  server CPU {result['server_cpu_busy']:.0%}"
        f"  steal {result['cpu_steal']:.0%}{note}",
        flush=True,
    )


def print_outbox(result: dict[str, Any]) -> None:
    webhooks = result["webhooks"]
    print(
        f"  outbox  webhooks {webhooks['rps']} req/s (wanted {result['rate_wanted']}), p99 {webhooks['p99_ms']} ms; "
        f"callbacks {result['callbacks_received']:,} of {result['webhooks_accepted']:,}; backlog growth "
        f"{result['backlog_growth_per_s']}/s, max {result['backlog_max']:,}, drained "
        f"{result['drained_s_after_feed']} s after the feed; callbacks/s {result['callbacks_per_s_while_fed']} "
        f"while fed, {result['callbacks_per_s_draining']} draining; worker CPU {result['worker_cpu_busy']:.0%}, "
        f"{result['worker_cpu_ms_per_callback']} ms a callback"
    )


def print_table(report: dict[str, Any]) -> None:
    targets = report.get("targets", {})
    print(
        f"\n{'scenario':<13} {'conc':>4} {'req/s':>8} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>8} {'err':>4}  "
        f"{'of ceiling':>10}  target"
    )
    for name, result in report["scenarios"].items():
        share = result.get("fraction")
        spread = result.get("fraction_spread")
        spread_text = f" ({spread[0]:.0%}-{spread[1]:.0%})" if spread and len(result["round_fractions"]) > 1 else ""
        share_text = f"{share:.0%}{spread_text} of {result['reference']}" if share is not None else ""
        verdict = targets.get(name)
        if verdict is None:
            verdict_text = ""
        elif verdict["pass"] is None:  # reported, nothing to pass
            verdict_text = verdict["target"]
        else:
            verdict_text = f"{'PASS' if verdict['pass'] else 'FAIL'} ({verdict['target']})"
        print(
            f"{name:<13} {result['concurrency']:>4} {result['rps']:>8.0f} {result['p50_ms']:>7.2f} "
            f"{result['p90_ms']:>7.2f} {result['p99_ms']:>7.2f} {result['max_ms']:>8.1f} {result['errors']:>4}  "
            f"{share_text:<27} {verdict_text}"
        )
    if "transactions" in report["scenarios"]:
        print(
            "\ntransactions p99 by filter (ms): "
            + ", ".join(
                f"{label} {values['p99_ms']:.1f}"
                for label, values in report["scenarios"]["transactions"]["by_label"].items()
            )
        )
    if "console" in report["scenarios"]:
        pages = report["scenarios"]["console"]["by_label"].items()
        print("\nconsole p99 by page (ms): " + ", ".join(f"{label} {values['p99_ms']:.1f}" for label, values in pages))
    if "rss" in targets:
        verdict = targets["rss"]
        print(
            f"service RSS after the run: {report['rss_mb']} MB  {'PASS' if verdict['pass'] else 'FAIL'} "
            f"({verdict['target']})"
        )
    if "outbox" in targets:
        verdict = targets["outbox"]
        print(f"outbox: {'PASS' if verdict['pass'] else 'FAIL'} ({verdict['target']})")


def git_describe(directory: Path) -> str | None:
    try:
        return subprocess.run(
            ["git", "-C", str(directory), "describe", "--always", "--dirty"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


if __name__ == "__main__":
    sys.exit(main())
