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
import re
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


def variant_url(args: argparse.Namespace, variant: str) -> str:
    """Each variant's own database: its audit rows are counted apart from the others'."""
    parsed = urlparse(args.url)
    return parsed._replace(path=parsed.path + "_" + variant.replace("-", "_")).geturl()


def environment(args: argparse.Namespace, variant: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=variant_url(args, variant),
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


def prepare(args: argparse.Namespace, variants: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.scale import ensure_database

    for variant in variants:
        ensure_database(variant_url(args, variant))
        env = environment(args, variant)
        for command in (["migrate", "--noinput", "-v", "0"], ["errorregistry_sync", "-v", "0"]):
            subprocess.run([PYTHON, str(ROOT / "manage.py"), *command], env=env, check=True, stdout=subprocess.DEVNULL)
        audit_accounting(args, variant, truncate=True)


def audit_accounting(args: argparse.Namespace, variant: str, truncate: bool = False) -> dict[str, int]:
    """Rows stored, events the writer logged instead (JSON lines on the server's stderr), repeats counted."""
    import psycopg

    with psycopg.connect(variant_url(args, variant), autocommit=True) as conn:
        if truncate:
            conn.execute("TRUNCATE errorregistry_errorevent, errorregistry_errorflood RESTART IDENTITY")
        rows = conn.execute("SELECT count(*) FROM errorregistry_errorevent").fetchone()[0]
        floods = conn.execute("SELECT COALESCE(sum(count), 0) FROM errorregistry_errorflood").fetchone()[0]
    stderr = Path(args.var_dir) / f"stderr-{variant}.log"
    logged = 0
    if stderr.exists():
        logged = sum(1 for line in stderr.read_text(errors="replace").splitlines() if line.startswith('{"'))
    return {"rows": rows, "logged": logged, "suppressed": int(floods)}


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
        stderr=(Path(args.var_dir) / f"stderr-{variant}.log").open("a"),
    )
    wait_ready(port, server)
    return port, server


def load(args: argparse.Namespace, port: int, seconds: float) -> dict[str, Any]:
    """One slice of load from a second process (wrk, or the Python client with its mix)."""
    if args.wrk:
        return wrk_load(args, port, seconds)
    client = subprocess.run(
        [PYTHON, __file__, "--client", "--target", f"http://127.0.0.1:{port}", "--duration", str(seconds),
         "--concurrency", str(args.concurrency)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(client.stdout)


def wrk_load(args: argparse.Namespace, port: int, seconds: float) -> dict[str, Any]:
    """wrk with bench/wrk_errors.lua: every response an error. Latencies come as wrk's percentiles."""
    completed = subprocess.run(
        ["wrk", "-t", "2", "-c", str(args.concurrency), "-d", f"{seconds:.0f}s", "--latency",
         "-s", str(ROOT / "bench" / "wrk_errors.lua"), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    )
    out = completed.stdout
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(m?s)", out).group(1))
    elapsed_match = re.search(r"\d+ requests in ([\d.]+)(m?s)", out)
    elapsed = float(elapsed_match.group(1)) / (1000 if elapsed_match.group(2) == "ms" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    percentiles = {}
    for pct, value, unit in re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)$", out, re.M):
        percentiles[pct] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return {
        "requests": requests, "elapsed_s": elapsed, "statuses": {"4xx/5xx": int(non_2xx.group(1)) if non_2xx else 0},
        "errors": int(non_2xx.group(1)) if non_2xx else 0, "failures": [errors.group(1)] if errors else [],
        "failure_count": 1 if errors else 0, "percentiles": percentiles,
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(server: subprocess.Popen) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
    return [server.pid, *map(int, children)]


def backend_pids(args: argparse.Namespace, variant: str) -> list[int]:
    """The PostgreSQL backends connected to this variant's database (its requests and its audit writer)."""
    import psycopg

    database = urlparse(variant_url(args, variant)).path.lstrip("/")
    with psycopg.connect(variant_url(args, variant), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database,)
        )
        return [row[0] for row in rows]


def measured_load(args: argparse.Namespace, variant: str, server: tuple[int, subprocess.Popen], seconds: float) -> dict:
    """One slice, with the CPU seconds it cost every process that served it: on a shared machine the
    throughput moves with other work, the CPU spent per request does not."""
    port, process = server
    import resource

    gunicorn, backends = server_pids(process), backend_pids(args, variant)
    before = (cpu_seconds(gunicorn), cpu_seconds(backends), resource.getrusage(resource.RUSAGE_CHILDREN))
    result = load(args, port, seconds)
    after_backends = sorted(set(backends) | set(backend_pids(args, variant)))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu"] = {
        "gunicorn": cpu_seconds(gunicorn) - before[0],
        "postgres": cpu_seconds(after_backends) - before[1],
        "client": (usage.ru_utime + usage.ru_stime) - (before[2].ru_utime + before[2].ru_stime),
    }
    return result


def run_all(args: argparse.Namespace, variants: list[str]) -> list[dict[str, Any]]:
    """Every server up at once (idle ones cost nothing), loaded in turns of --slice seconds, so that
    the machine's other work falls on all variants alike."""
    servers = {}
    warmups: dict[str, int] = {}
    try:
        for variant in variants:
            servers[variant] = start_server(args, variant)
            warmups[variant] = load(args, servers[variant][0], 2)["requests"]  # warm: imports, registry, connections
        time.sleep(1.0)  # the writers store the warm-up's events; the accounting starts after them
        before = {variant: audit_accounting(args, variant) for variant in variants}
        totals: dict[str, dict[str, Any]] = {
            v: {"variant": v, "latencies": [], "elapsed_s": 0.0, "statuses": {}, "errors": 0, "requests": 0,
                "failure_count": 0, "failures": [], "loads": [], "p50s": [], "p99s": [], "cpu": {}}
            for v in variants
        }
        slices = max(1, round(args.duration / args.slice))
        for index in range(slices):
            order = variants[index % len(variants):] + variants[: index % len(variants)]
            for variant in order:
                print(f"  slice {index + 1}/{slices}: {variant}", flush=True)
                total = totals[variant]
                total["loads"].append(os.getloadavg()[0])
                result = measured_load(args, variant, servers[variant], args.duration / slices)
                for part, seconds in result["cpu"].items():
                    total["cpu"][part] = total["cpu"].get(part, 0.0) + seconds
                total["latencies"].extend(result.get("latencies", []))
                total["requests"] += result["requests"]
                if "percentiles" in result:
                    total["p50s"].append(result["percentiles"].get("50", 0.0))
                    total["p99s"].append(result["percentiles"].get("99", 0.0))
                total["elapsed_s"] += result["elapsed_s"]
                for status, n in result["statuses"].items():
                    key = int(status) if str(status).isdigit() else status
                    total["statuses"][key] = total["statuses"].get(key, 0) + n
                total["errors"] += result["errors"]
                total["failure_count"] += result["failure_count"]
                total["failures"] += result["failures"][:3]
    finally:
        for _port, server in servers.values():
            server.terminate()  # SIGTERM: the workers flush their audit writers before exiting
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
        p50s, p99s = total.pop("p50s"), total.pop("p99s")
        total.update(
            rps=total["requests"] / total["elapsed_s"],
            # wrk reports percentiles per slice: their median over the slices.
            p50_ms=statistics.median(latencies) if latencies else statistics.median(p50s),
            p99_ms=latencies[int(0.99 * (len(latencies) - 1))] if latencies else statistics.median(p99s),
            load=f"{min(loads):.2f}-{max(loads):.2f}",
            slices=len(loads),
            warmup_requests=warmups.get(total["variant"], 0),
            audit={k: v - before[total["variant"]][k] for k, v in audit_accounting(args, total["variant"]).items()},
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
        ("Load: wrk (2 threads) with bench/wrk_errors.lua, every response an error (401, 400, 404 in turn)."
         if args.wrk else
         "Mix: " + ", ".join(f"{w}% {m} {p}{' (bad body)' if b == BAD_ORDER else ''}" for w, m, p, b in MIX) + "."),
        "",
        "| variant | req/s | p50 ms | p99 ms | CPU µs/request (gunicorn + PostgreSQL backends + client) | requests | error responses | audit rows + logged + counted | statuses | 1-min load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(r["statuses"].items(), key=str))
        audit = r["audit"]
        cpu = r["cpu"]
        per_request = {part: 1e6 * seconds / max(r["requests"], 1) for part, seconds in cpu.items()}
        r["cpu_per_request"] = sum(per_request.values())
        cpu_cell = (f"{r['cpu_per_request']:.0f} ({per_request.get('gunicorn', 0):.0f} + "
                    f"{per_request.get('postgres', 0):.0f} + {per_request.get('client', 0):.0f})")
        lines.append(
            f"| {r['variant']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {cpu_cell} | {r['requests']} | "
            f"{r['errors']} | {audit['rows']} + {audit['logged']} + {audit['suppressed']} | {statuses} | {r['load']} |"
        )
    lines.append("")
    for r in results:
        if r["failure_count"]:
            lines.append(f"- {r['variant']}: requests failed at the socket: {r['failures'][:3]}")
        if r["variant"].startswith("errorregistry") and r["variant"] != "errorregistry-audit-off":
            audit = r["audit"]
            accounted = audit["rows"] + audit["logged"] + audit["suppressed"]
            # wrk stops with requests in flight: the server may have answered a few it never counted.
            # A flood still open after the warm-up is stored later with the warm-up's repeats in its count.
            slack = args.concurrency * r["slices"] + (r["warmup_requests"] if audit["suppressed"] else 0)
            ok = r["errors"] <= accounted <= r["errors"] + slack
            lines.append(
                f"- [{'met' if ok else 'MISSED'}] {r['variant']}: every error response accounted for: "
                f"{audit['rows']} rows + {audit['logged']} logged + {audit['suppressed']} counted as repeats "
                f"for {r['errors']} error responses"
            )
    by = {r["variant"]: r for r in results}
    if "errorregistry" in by and "errorregistry-audit-off" in by:
        ratio = by["errorregistry"]["rps"] / by["errorregistry-audit-off"]["rps"]
        lines.append(f"- [{'met' if ratio >= 0.90 else 'MISSED'}] audit on >= 0.90x audit off throughput: {ratio:.2f}x")
        cpu_ratio = by["errorregistry-audit-off"]["cpu_per_request"] / by["errorregistry"]["cpu_per_request"]
        lines.append(
            f"- audit on / audit off by CPU per request (the throughput ratio when the CPU is the limit, "
            f"whatever else runs on the machine): {cpu_ratio:.2f}x"
        )
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
        help="comma-separated: drf, errorregistry (audit on, background writer, no flood limit), "
        "errorregistry-audit-off, errorregistry-inline (the audit stored before each response), "
        "errorregistry-flood (the default flood limit), errorregistry-async-commit",
    )
    parser.add_argument("--wrk", action="store_true", help="load with wrk, every response an error")
    parser.add_argument("--save", metavar="PATH")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        return client_main(args)

    args.var_dir = tempfile.mkdtemp(prefix="errorregistry-server-")
    variants = args.variants.split(",")
    prepare(args, variants)
    print(f"{', '.join(variants)}: {args.duration:.0f} s each, in turns of {args.slice:.0f} s", flush=True)
    results = run_all(args, variants)
    text = render(args, results)
    print(text)
    if args.save:
        Path(args.save).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
