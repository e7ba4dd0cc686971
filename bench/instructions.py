#!/usr/bin/env python
"""Instructions per error response, counted by valgrind's callgrind: deterministic on a noisy machine.

Each variant runs in its own process under ``valgrind --tool=callgrind`` with
instrumentation off; after a warm-up the process switches it on through
callgrind's client requests (a tiny C helper compiled here with gcc and loaded
with ctypes), serves ``--requests`` requests of one view, waits for the audit
writer to store everything (``flush_audit()``, inside the measured segment), and
switches it off again. Every thread counts: the writer's batches are part of the
price of an error response. The figure is instructions / requests.

    .venv/bin/python bench/instructions.py                       # every variant, 200 requests per view
    .venv/bin/python bench/instructions.py --requests 100 --save bench/results/instructions-latest.md

Needs valgrind (with its headers, Debian's ``valgrind`` package) and gcc.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HELPER_SOURCE = r"""
#include <valgrind/callgrind.h>
void bench_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void bench_stop(const char *label) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(label); }
"""

# The two error views the bars name, and a success for reference.
TWO_FIELD_ERRORS = json.dumps(
    {"email": "not-an-email", "connector": {"name": "crm", "config": {"api_key": "long-enough", "region": "eu"}},
     "items": [{"sku": "A-1", "qty": 0}]}
)
VIEWS = {
    "not_authenticated": ("get", "/api/demo/account/", None),
    "validation_2_fields": ("post", "/api/demo/orders/", TWO_FIELD_ERRORS),
    "success": ("get", "/api/demo/health/", None),
}
VARIANTS = ["drf", "std", "er_off", "er_sqlite", "er_sqlite_b1", "er_sqlite_inline"]
# The writer batches by time (AUDIT_FLUSH_INTERVAL) and by count. Under valgrind everything runs
# ~50 times slower, so batches cut by time would be ~50 times smaller than on a real server, and
# the count would depend on thread scheduling. Here batches are cut by count only, which makes the
# figure repeatable: 50 events (what the default 50 ms interval collects at ~1,000 error responses
# per second per process), and 1 (every event its own transaction: the quiet-traffic worst case).
WRITER_BATCHES = {"er_sqlite": 50, "er_sqlite_b1": 1}
BARS = {  # variant -> highest ratio to DRF's default handler, on the error views
    "er_sqlite": 1.25,
    "er_off": 1.05,
}
LABELS = {
    "drf": "DRF default handler",
    "std": "drf-standardized-errors",
    "er_off": "errorregistry, audit off",
    "er_sqlite": "errorregistry, audit on SQLite (writer, batches of 50)",
    "er_sqlite_b1": "errorregistry, audit on SQLite (writer, batches of 1)",
    "er_sqlite_inline": "errorregistry, audit on SQLite, inline",
}


def compile_helper(directory: Path) -> Path:
    source = directory / "callgrind_helper.c"
    library = directory / "callgrind_helper.so"
    source.write_text(HELPER_SOURCE)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def prepare(bench_dir: Path) -> None:
    """Migrate and sync the SQLite database every child then uses (outside valgrind: it is slow there)."""
    env = dict(os.environ, ERRORREGISTRY_BENCH_DIR=str(bench_dir))
    subprocess.run([sys.executable, __file__, "--prepare-only"], check=True, env=env, cwd=ROOT)


def child(variant_key: str, requests: int, warmup: int, library: str) -> None:
    """Inside valgrind: serve every view under one variant, measuring each segment."""
    from bench import run as bench_run

    helper = ctypes.CDLL(library)
    args = argparse.Namespace(no_pg=True, pg_url="", sqlite_journal="wal")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["ERRORREGISTRY_BENCH_SQLITE_JOURNAL"] = args.sqlite_journal
    import django

    django.setup()
    from django.test import Client, override_settings

    from errorregistry import flush_audit

    variants = {v.key: v for v in bench_run.build_variants(control=False)}
    base_key = "er_sqlite" if variant_key in WRITER_BATCHES else variant_key
    if base_key not in variants:
        print(f"skip {variant_key}: not available", file=sys.stderr)
        return
    overrides = dict(variants[base_key].overrides)
    if variant_key in WRITER_BATCHES:
        overrides["ERROR_REGISTRY"] = dict(
            overrides["ERROR_REGISTRY"], AUDIT_BATCH_SIZE=WRITER_BATCHES[variant_key], AUDIT_FLUSH_INTERVAL=3600
        )
    with override_settings(**overrides):
        client = Client(raise_request_exception=False)
        for view, (method, path, body) in VIEWS.items():
            call = getattr(client, method)
            kwargs = {"data": body, "content_type": "application/json"} if body else {}
            for _ in range(warmup):
                call(path, **kwargs)
            flush_audit(30)
            helper.bench_start()
            for _ in range(requests):
                call(path, **kwargs)
            flush_audit(60)
            helper.bench_stop(view.encode())


def measure(variant: str, requests: int, warmup: int, library: Path, bench_dir: Path, out_dir: Path) -> dict[str, int]:
    prefix = out_dir / f"callgrind.{variant}"
    command = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={prefix}.%p",
        sys.executable, __file__, "--child", variant, "--requests", str(requests), "--warmup", str(warmup),
        "--library", str(library),
    ]
    env = dict(os.environ, ERRORREGISTRY_BENCH_DIR=str(bench_dir), PYTHONHASHSEED="0")
    completed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{completed.stderr[-3000:]}")
    counts: dict[str, int] = {}
    for dump in out_dir.glob(f"callgrind.{variant}.*"):
        text = dump.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
        total = re.search(r"^totals: (\d+)", text, re.M)
        if trigger and total and trigger.group(1) in VIEWS:
            counts[trigger.group(1)] = int(total.group(1))
    return {view: count // requests for view, count in counts.items()}


def render(results: dict[str, dict[str, int]], requests: int, elapsed: float) -> str:
    import django
    import rest_framework

    lines = [
        f"# bench/instructions.py: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        f"Python {platform.python_version()}, Django {django.__version__}, DRF {rest_framework.VERSION}; "
        f"{requests} requests per view and variant, instructions per request (all threads, audit flushed "
        f"inside the segment); {elapsed:.0f} s.",
        "",
        "| variant | " + " | ".join(VIEWS) + " |",
        "|---|" + "---:|" * len(VIEWS),
    ]
    base = results["drf"]
    for variant, counts in results.items():
        cells = []
        for view in VIEWS:
            if view in counts:
                cells.append(f"{counts[view]:,} ({counts[view] / base[view]:.3f}x)")
            else:
                cells.append("-")
        lines.append(f"| {LABELS.get(variant, variant)} | " + " | ".join(cells) + " |")
    lines += ["", "## Bars", ""]
    for variant, bar in BARS.items():
        if variant not in results:
            continue
        for view in ("not_authenticated", "validation_2_fields"):
            ratio = results[variant][view] / base[view]
            lines.append(f"- [{'met' if ratio <= bar else 'MISSED'}] {variant}, {view} <= {bar:.2f}x DRF: {ratio:.3f}x")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--save", metavar="PATH")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.prepare_only:
        from bench import run as bench_run

        bench_run.setup_django(argparse.Namespace(no_pg=True, pg_url="", sqlite_journal="wal"))
        return 0
    if args.child:
        child(args.child, args.requests, args.warmup, args.library)
        return 0

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="errorregistry-callgrind-") as scratch:
        scratch_dir = Path(scratch)
        library = compile_helper(scratch_dir)
        bench_dir = scratch_dir / "db"
        bench_dir.mkdir()
        prepare(bench_dir)
        results = {}
        for variant in args.variants.split(","):
            counts = measure(variant, args.requests, args.warmup, library, bench_dir, scratch_dir)
            if counts:
                results[variant] = counts
                print(f"{variant}: {counts}", flush=True)
    text = render(results, args.requests, time.time() - started)
    print(text)
    if args.save:
        Path(args.save).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
