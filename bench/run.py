#!/usr/bin/env python
"""The cost of an error response: DRF's default handler vs drf-standardized-errors vs errorregistry.

Three views of the demo API (NotAuthenticated; a nested serializer failing with
five field errors; a successful view) are served through Django's test client
under every variant, interleaved round by round in this one process so that
machine noise hits all variants alike. Prints, per view and variant, the median
microseconds per request, the median per-round ratio to DRF's default handler,
and the database queries per error response; then checks the bars of issue 6.

    .venv/bin/python bench/run.py                 # full run (PostgreSQL variant if reachable)
    .venv/bin/python bench/run.py --quick         # one short round, for a smoke test
    .venv/bin/python bench/run.py --rounds 30 --requests 300 --save bench/results/run-latest.md
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/errorregistry_bench_run"

ORDER_PAYLOAD = json.dumps(
    {
        "email": "not-an-email",  # 1
        "connector": {"name": "", "config": {"api_key": "short", "region": "mars"}},  # 2, 3, 4
        "items": [{"sku": "A-1", "qty": 0}],  # 5
    }
)


@dataclass
class View:
    name: str
    call: Callable[[Any], Any]
    expect_status: tuple[int, ...]
    error: bool


VIEWS = [
    View("not_authenticated", lambda c: c.get("/api/demo/account/"), (401, 403), True),
    View(
        "validation_5_fields",
        lambda c: c.post("/api/demo/orders/", data=ORDER_PAYLOAD, content_type="application/json"),
        (400,),
        True,
    ),
    View("success", lambda c: c.get("/api/demo/health/"), (200,), False),
]


@dataclass
class Variant:
    key: str
    label: str
    overrides: dict[str, Any]
    audit_alias: str | None = None
    client: Any = None
    times: dict[str, list[float]] = field(default_factory=dict)
    queries: dict[str, dict[str, int]] = field(default_factory=dict)


def probe_postgres(url: str) -> str | None:
    """Create the bench database if needed; None (with the reason) if PostgreSQL is unreachable."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        print("note: psycopg is not installed; skipping the PostgreSQL variant")
        return None
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable" for a benchmark
        print(f"note: PostgreSQL at {parsed.hostname}:{parsed.port or 5432} unreachable ({exc.__class__.__name__}); skipping")
        return None
    return url


def setup_django(args: argparse.Namespace) -> None:
    os.environ.setdefault("ERRORREGISTRY_BENCH_DIR", tempfile.mkdtemp(prefix="errorregistry-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["ERRORREGISTRY_BENCH_SQLITE_JOURNAL"] = args.sqlite_journal
    if not args.no_pg:
        pg = probe_postgres(args.pg_url)
        if pg:
            os.environ["ERRORREGISTRY_BENCH_PG_URL"] = pg
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    for alias in settings.DATABASES:
        call_command("migrate", database=alias, verbosity=0, interactive=False)
    call_command("errorregistry_sync", verbosity=0)


def build_variants(control: bool = True) -> list[Variant]:
    from django.conf import settings

    base_registry = dict(settings.ERROR_REGISTRY)
    variants = [
        Variant(
            "drf",
            "DRF default handler",
            {
                "MIDDLEWARE": settings.BASE_MIDDLEWARE,
                "REST_FRAMEWORK": {"EXCEPTION_HANDLER": "rest_framework.views.exception_handler"},
            },
        )
    ]
    if control:
        # The baseline again under another name: its ratio to the baseline is the noise floor.
        variants.append(Variant("drf_again", "DRF default handler, again (noise control)", dict(variants[0].overrides)))
    if settings.HAS_STANDARDIZED_ERRORS:
        variants.append(
            Variant(
                "std",
                "drf-standardized-errors",
                {
                    "MIDDLEWARE": settings.BASE_MIDDLEWARE,
                    "REST_FRAMEWORK": {"EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler"},
                },
            )
        )
    else:
        print("note: drf-standardized-errors is not installed (pip install -r bench/requirements.txt); skipping it")
    registry_handler = {"EXCEPTION_HANDLER": "errorregistry.handlers.exception_handler"}
    variants.append(
        Variant(
            "er_off",
            "errorregistry, audit off",
            {
                "MIDDLEWARE": settings.REGISTRY_MIDDLEWARE,
                "REST_FRAMEWORK": registry_handler,
                "ERROR_REGISTRY": {**base_registry, "AUDIT": False},
            },
        )
    )
    audit_databases = [("sqlite", "SQLite", "default")]
    if "pg" in settings.DATABASES:
        audit_databases.append(("pg", "PostgreSQL", "pg"))
    for suffix, name, alias in audit_databases:
        for mode in ("background", "inline"):
            variants.append(
                Variant(
                    f"er_{suffix}" if mode == "background" else f"er_{suffix}_inline",
                    f"errorregistry, audit on {name}" + (", inline" if mode == "inline" else ""),
                    {
                        "MIDDLEWARE": settings.REGISTRY_MIDDLEWARE,
                        "REST_FRAMEWORK": registry_handler,
                        "ERROR_REGISTRY": {
                            **base_registry, "AUDIT": True, "AUDIT_MODE": mode, "AUDIT_FLOOD_LIMIT": None,
                            "AUDIT_DATABASE": alias,
                        },
                    },
                    audit_alias=alias,
                )
            )
    return variants


def check_shapes(variant: Variant) -> None:
    """Fail fast if a variant does not answer the way it should (wrong handler wired in)."""
    for view in VIEWS:
        response = view.call(variant.client)
        if response.status_code not in view.expect_status:
            raise SystemExit(f"{variant.label}: {view.name} answered {response.status_code}")
        if not view.error:
            continue
        body = json.loads(response.content)
        if variant.key in ("drf", "drf_again"):
            ok = "detail" in body or "email" in body
        elif variant.key == "std":
            ok = body.get("type") in ("client_error", "validation_error")
        else:
            ok = "request_id" in body.get("error", {}) and response.has_header("X-Request-Id")
        if not ok:
            raise SystemExit(f"{variant.label}: unexpected {view.name} body {body}")


def count_queries(variant: Variant) -> None:
    """Queries issued by one error response, per kind, over every database alias."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from errorregistry import flush_audit

    for view in VIEWS:
        flush_audit()
        contexts = [CaptureQueriesContext(connections[alias]) for alias in connections]
        for ctx in contexts:
            ctx.__enter__()
        try:
            view.call(variant.client)
        finally:
            for ctx in contexts:
                ctx.__exit__(None, None, None)
        kinds = {"insert": 0, "select": 0, "other": 0, "transaction": 0}
        for ctx in contexts:
            for query in ctx.captured_queries:
                verb = query["sql"].lstrip().split(None, 1)[0].lower()
                if verb in ("begin", "commit", "savepoint", "release"):
                    verb = "transaction"
                kinds[verb if verb in kinds else "other"] += 1
        variant.queries[view.name] = kinds


def time_batch(client: Any, view: View, n: int) -> float:
    """Median wall-clock microseconds of ``n`` back-to-back requests.

    The median of single requests rather than the mean of the batch: on a
    shared two-core machine a request that the scheduler preempts takes many
    times longer, and such outliers would swamp a difference of a few percent.
    """
    call = view.call
    clock = time.perf_counter_ns
    samples = [0] * n
    gc.collect()
    for i in range(n):
        start = clock()
        call(client)
        samples[i] = clock() - start
    return statistics.median(samples) / 1000


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.test import Client, override_settings

    from errorregistry import flush_audit

    variants = build_variants(control=not args.no_control)
    for variant in variants:
        with override_settings(**variant.overrides):
            variant.client = Client(raise_request_exception=False)
            check_shapes(variant)
            for _ in range(args.warmup):
                for view in VIEWS:
                    view.call(variant.client)
            count_queries(variant)

    started = time.time()
    for round_no in range(args.rounds):
        # Rotate the order so no variant always runs first (or last) in a round.
        shift = round_no % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            with override_settings(**variant.overrides):
                for _ in range(3):  # settings changed: let caches (registry, DRF settings) refill untimed
                    for view in VIEWS:
                        view.call(variant.client)
                for view in VIEWS:
                    variant.times.setdefault(view.name, []).append(time_batch(variant.client, view, args.requests))
                    flush_audit()  # untimed: the writer's share is measured by bench/instructions.py
    elapsed = time.time() - started
    return summarize(variants, args, elapsed)


def summarize(variants: list[Variant], args: argparse.Namespace, elapsed: float) -> dict[str, Any]:
    baseline = variants[0]
    assert baseline.key == "drf"
    result: dict[str, Any] = {
        "views": {},
        "rounds": args.rounds,
        "requests": args.requests,
        "elapsed_s": elapsed,
        "sqlite_journal": args.sqlite_journal,
    }
    for view in VIEWS:
        rows = {}
        for variant in variants:
            samples = variant.times[view.name]
            ratios = [v / b for v, b in zip(samples, baseline.times[view.name])]
            rows[variant.key] = {
                "label": variant.label,
                "median_us": statistics.median(samples),
                "ratio": statistics.median(ratios),
                "queries": variant.queries.get(view.name, {}),
            }
        result["views"][view.name] = rows
    result["bars"] = check_bars(result)
    return result


def check_bars(result: dict[str, Any]) -> list[tuple[str, bool, str]]:
    bars: list[tuple[str, bool, str]] = []
    views = result["views"]
    for name in ("not_authenticated", "validation_5_fields"):
        rows = views[name]
        off = rows["er_off"]
        bars.append((f"{name}: audit off <= 1.05x DRF", off["ratio"] <= 1.05, f"{off['ratio']:.3f}x"))
        if "std" in rows:
            std = rows["std"]
            bars.append(
                (
                    f"{name}: audit off no slower than drf-standardized-errors",
                    off["median_us"] <= std["median_us"],
                    f"{off['median_us']:.0f} vs {std['median_us']:.0f} us",
                )
            )
        query_bars = (
            (("er_sqlite", "er_pg"), "no query on the request thread", lambda q: sum(q.values()) == 0),
            (
                ("er_sqlite_inline", "er_pg_inline"),
                "one transaction (the event, its hourly count), no read",
                lambda q: q.get("insert") == 2 and q.get("select") == 0 and q.get("other") == 0,
            ),
        )
        for keys, promise, kept in query_bars:
            for key in keys:
                if key not in rows:
                    continue
                q = rows[key]["queries"]
                bars.append(
                    (
                        f"{name}: {rows[key]['label']}: {promise}",
                        kept(q),
                        f"{q.get('insert')} insert, {q.get('select')} select, {q.get('other')} other",
                    )
                )
        sqlite = rows["er_sqlite"]
        bars.append((f"{name}: audit on SQLite <= 1.30x DRF", sqlite["ratio"] <= 1.30, f"{sqlite['ratio']:.3f}x"))
    success = views["success"]
    for key in ("er_off", "er_sqlite", "er_sqlite_inline", "er_pg", "er_pg_inline"):
        if key in success:
            row = success[key]
            bars.append((f"success: {row['label']} <= 1.03x DRF", row["ratio"] <= 1.03, f"{row['ratio']:.3f}x"))
            queries = row["queries"]
            bars.append(
                (f"success: {row['label']}: no query", sum(queries.values()) == 0, f"{sum(queries.values())} queries")
            )
    return bars


def machine() -> str:
    import django
    import rest_framework

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (
        f"{platform.node()} {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}, Django {django.__version__}, "
        f"DRF {rest_framework.VERSION}; load average {' '.join(f'{x:.2f}' for x in load)}"
    )


def render(result: dict[str, Any], machine_line: str) -> str:
    lines = [
        f"# bench/run.py: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        f"Machine: {machine_line}",
        f"{result['rounds']} rounds x {result['requests']} requests per view and variant, "
        f"interleaved; {result['elapsed_s']:.0f} s of timing. SQLite journal: {result['sqlite_journal']}.",
        "",
    ]
    for name, rows in result["views"].items():
        lines.append(f"## {name}")
        lines.append("")
        lines.append("| variant | median us/request | median ratio to DRF | queries per response (insert/select/other) |")
        lines.append("|---|---:|---:|---|")
        for row in rows.values():
            q = row["queries"]
            qs = f"{q.get('insert', 0)}/{q.get('select', 0)}/{q.get('other', 0)}" if q else "-"
            lines.append(f"| {row['label']} | {row['median_us']:.0f} | {row['ratio']:.3f} | {qs} |")
        lines.append("")
    lines.append("## Bars")
    lines.append("")
    for bar, ok, figure in result["bars"]:
        lines.append(f"- [{'met' if ok else 'MISSED'}] {bar}: {figure}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (default 20)")
    parser.add_argument("--requests", type=int, default=200, help="requests per view, variant and round (default 200)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per view and variant first")
    parser.add_argument("--quick", action="store_true", help="1 round of 10 requests: proves the script runs")
    parser.add_argument("--no-control", action="store_true", help="skip the A/A noise-control variant")
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL variant")
    parser.add_argument("--pg-url", default=os.environ.get("ERRORREGISTRY_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument(
        "--sqlite-journal",
        choices=["wal", "delete"],
        default="wal",
        help="SQLite journal: wal + synchronous=NORMAL (default) or delete + synchronous=FULL",
    )
    parser.add_argument("--save", metavar="PATH", help="also write the results as markdown to PATH")
    parser.add_argument("--json", metavar="PATH", help="also write the raw results as JSON to PATH")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.requests, args.warmup = 1, 10, 5

    setup_django(args)
    result = run(args)
    text = render(result, machine())
    print(text)
    if args.save:
        Path(args.save).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
