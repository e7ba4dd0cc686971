#!/usr/bin/env python
"""The demo project under a real server: gunicorn (2 workers) on PostgreSQL, loaded over loopback.

For each variant (DRF's default handler, then errorregistry with audit on) it
starts gunicorn, runs a bounded load client in a second process for
``--duration`` seconds with a mix of failing and successful requests, and
reports requests per second and p50/p99 latency. For errorregistry it then
checks that the audit table holds exactly one row per error response.

    .venv/bin/python bench/server.py                   # 30 s per variant
    .venv/bin/python bench/server.py --duration 5      # a quick try
    .venv/bin/python bench/server.py --save bench/results/server-latest.md
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/errorregistry_bench_server"

BAD_ORDER = json.dumps(
    {
        "email": "not-an-email",
        "connector": {"name": "", "config": {"api_key": "short", "region": "mars"}},
        "items": [{"sku": "A-1", "qty": 0}],
    }
)
GOOD_ORDER = json.dumps(
    {
        "email": "buyer@example.com",
        "connector": {"name": "crm", "config": {"api_key": "long-enough-key", "region": "eu"}},
        "items": [{"sku": "A-1", "qty": 2}],
    }
)
# (weight, method, path, body): about half the requests fail.
MIX = [
    (40, "GET", "/api/demo/health/", None),
    (10, "POST", "/api/demo/orders/", GOOD_ORDER),
    (20, "GET", "/api/demo/account/", None),
    (20, "POST", "/api/demo/orders/", BAD_ORDER),
    (10, "GET", "/api/demo/errors/no_such_code/", None),  # DRF's NotFound: a 404 under both variants
]


# -- the load client (runs in its own process) ---------------------------------


def client_main(args: argparse.Namespace) -> int:
    """Send the mix from ``--concurrency`` threads until the deadline, then print a JSON summary."""
    target = urlparse(args.target)
    weights = [m[0] for m in MIX]
    deadline = time.monotonic() + args.duration
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures: list[str] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[float] = []
        seen: dict[int, int] = {}
        while time.monotonic() < deadline:
            _w, method, path, body = rng.choices(MIX, weights)[0]
            headers = {"Content-Type": "application/json"} if body else {}
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                with lock:
                    failures.append(f"{method} {path}: {exc!r}")
                continue
            mine.append((time.perf_counter() - start) * 1000)
            seen[response.status] = seen.get(response.status, 0) + 1
        with lock:
            latencies.extend(mine)
            for status, n in seen.items():
                statuses[status] = statuses.get(status, 0) + n

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "elapsed_s": elapsed,
                "statuses": statuses,
                "errors": sum(n for s, n in statuses.items() if s >= 400),
                "failures": failures[:20],
                "failure_count": len(failures),
                "latencies": [round(x, 3) for x in latencies],
            }
        )
    )
    return 0


# -- the driver -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return url
    except OSError:
        return None


def environment(args: argparse.Namespace, variant: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.url,
        DJANGO_SETTINGS_MODULE="bench.server_settings",
        ERRORREGISTRY_BENCH_VARIANT=variant,
        ERRORREGISTRY_BENCH_CONN_MAX_AGE=str(args.conn_max_age),
        ERRORREGISTRY_VAR_DIR=args.var_dir,
        PYTHONPATH=str(ROOT),
    )
    redis = redis_url()
    if redis:
        env["REDIS_URL"] = redis
    else:
        env.pop("REDIS_URL", None)
    return env


def prepare(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.scale import ensure_database

    ensure_database(args.url)
    env = environment(args, "errorregistry")
    for command in (["migrate", "--noinput", "-v", "0"], ["errorregistry_sync", "-v", "0"]):
        subprocess.run([PYTHON, str(ROOT / "manage.py"), *command], env=env, check=True, stdout=subprocess.DEVNULL)


def audit_rows(args: argparse.Namespace, truncate: bool = False) -> int:
    import psycopg

    with psycopg.connect(args.url, autocommit=True) as conn:
        if truncate:
            conn.execute("TRUNCATE errorregistry_errorevent RESTART IDENTITY")
        return conn.execute("SELECT count(*) FROM errorregistry_errorevent").fetchone()[0]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/demo/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def start_server(args: argparse.Namespace, variant: str) -> tuple[int, subprocess.Popen]:
    port = free_port()
    log = Path(args.var_dir) / f"gunicorn-{variant}.log"
    server = subprocess.Popen(
        [
            PYTHON, "-m", "gunicorn", "project.wsgi:application",
            "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
            "--error-logfile", str(log), "--log-level", "warning",
        ],
        env=environment(args, variant),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port, server)
    return port, server


def load(args: argparse.Namespace, port: int, seconds: float) -> dict[str, Any]:
    """One slice of load from a second process; the audit rows it caused are counted around it."""
    rows_before = audit_rows(args)
    client = subprocess.run(
        [PYTHON, __file__, "--client", "--target", f"http://127.0.0.1:{port}", "--duration", str(seconds),
         "--concurrency", str(args.concurrency)],
        capture_output=True, text=True, check=True,
    )
    result = json.loads(client.stdout)
    # Each audit row is committed before its response is sent, so the count is final once the client is done.
    result["audit_rows"] = audit_rows(args) - rows_before
    return result


def run_all(args: argparse.Namespace, variants: list[str]) -> list[dict[str, Any]]:
    """Every server up at once (idle ones cost nothing), loaded in turns of --slice seconds, so that
    the machine's other work falls on all variants alike."""
    audit_rows(args, truncate=True)
    servers = {}
    try:
        for variant in variants:
            servers[variant] = start_server(args, variant)
            load(args, servers[variant][0], 2)  # warm every worker: imports, registry, database connection
        totals: dict[str, dict[str, Any]] = {
            v: {"variant": v, "latencies": [], "elapsed_s": 0.0, "statuses": {}, "errors": 0, "audit_rows": 0,
                "failure_count": 0, "failures": [], "loads": []}
            for v in variants
        }
        slices = max(1, round(args.duration / args.slice))
        for index in range(slices):
            order = variants[index % len(variants):] + variants[: index % len(variants)]
            for variant in order:
                print(f"  slice {index + 1}/{slices}: {variant}", flush=True)
                total = totals[variant]
                total["loads"].append(os.getloadavg()[0])
                result = load(args, servers[variant][0], args.duration / slices)
                total["latencies"].extend(result["latencies"])
                total["elapsed_s"] += result["elapsed_s"]
                for status, n in result["statuses"].items():
                    total["statuses"][int(status)] = total["statuses"].get(int(status), 0) + n
                total["errors"] += result["errors"]
                total["audit_rows"] += result["audit_rows"]
                total["failure_count"] += result["failure_count"]
                total["failures"] += result["failures"][:3]
    finally:
        for _port, server in servers.values():
            server.terminate()
        for _port, server in servers.values():
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    results = []
    for total in totals.values():
        latencies = sorted(total.pop("latencies"))
        loads = total.pop("loads")
        total.update(
            requests=len(latencies),
            rps=len(latencies) / total["elapsed_s"],
            p50_ms=statistics.median(latencies),
            p99_ms=latencies[int(0.99 * (len(latencies) - 1))],
            load=f"{min(loads):.2f}-{max(loads):.2f}",
        )
        results.append(total)
    return results


def machine() -> str:
    import django
    import rest_framework

    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}, Django {django.__version__}, DRF {rest_framework.VERSION}"
    )


def render(args: argparse.Namespace, results: list[dict[str, Any]]) -> str:
    sys.path.insert(0, str(ROOT))
    lines = [
        f"# bench/server.py: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        f"Machine: {machine()}; load client, gunicorn and PostgreSQL share the 2 CPUs.",
        f"gunicorn {args.workers} sync workers, {args.concurrency} client threads (one connection per request), "
        f"{args.duration:.0f} s per variant in turns of {args.slice:.0f} s; CONN_MAX_AGE={args.conn_max_age}; registry version stamp in "
        f"{'Redis' if redis_url() else 'the file cache'}.",
        "Mix: " + ", ".join(f"{w}% {m} {p}{' (bad body)' if b == BAD_ORDER else ''}" for w, m, p, b in MIX) + ".",
        "",
        "| variant | req/s | p50 ms | p99 ms | requests | error responses | audit rows | statuses | 1-min load |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(r["statuses"].items()))
        lines.append(
            f"| {r['variant']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['requests']} | "
            f"{r['errors']} | {r['audit_rows']} | {statuses} | {r['load']} |"
        )
    lines.append("")
    for r in results:
        if r["failure_count"]:
            lines.append(f"- {r['variant']}: {r['failure_count']} requests failed at the socket: {r['failures'][:3]}")
        if r["variant"] in ("errorregistry", "errorregistry-async-commit"):
            ok = r["audit_rows"] == r["errors"] and r["failure_count"] == 0
            lines.append(
                f"- [{'met' if ok else 'MISSED'}] {r['variant']}: audit rows == error responses: "
                f"{r['audit_rows']} rows for {r['errors']} error responses"
            )
    by = {r["variant"]: r for r in results}
    for name, e in by.items():
        if name == "drf" or "drf" not in by:
            continue
        d = by["drf"]
        lines.append(
            f"- {name} vs DRF: {e['rps'] / d['rps']:.2f}x the throughput, p50 {e['p50_ms'] / d['p50_ms']:.2f}x, "
            f"p99 {e['p99_ms'] / d['p99_ms']:.2f}x"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--slice", type=float, default=5, help="seconds of load per turn (default 5)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--url", default=os.environ.get("ERRORREGISTRY_SERVER_URL", DEFAULT_URL))
    parser.add_argument(
        "--variants",
        default="drf,errorregistry",
        help="comma-separated: drf, errorregistry (audit on), errorregistry-audit-off, errorregistry-async-commit",
    )
    parser.add_argument("--save", metavar="PATH")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        return client_main(args)

    args.var_dir = tempfile.mkdtemp(prefix="errorregistry-server-")
    prepare(args)
    variants = args.variants.split(",")
    print(f"{', '.join(variants)}: {args.duration:.0f} s each, in turns of {args.slice:.0f} s", flush=True)
    results = run_all(args, variants)
    text = render(args, results)
    print(text)
    if args.save:
        Path(args.save).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
