#!/usr/bin/env python
"""Profile one view under one variant of bench/run.py with cProfile.

    .venv/bin/python bench/profile_view.py --variant er_sqlite --view not_authenticated
    .venv/bin/python bench/profile_view.py --variant er_off --view success --sort tottime --limit 40

Variants: drf, std, er_off, er_sqlite, er_pg (as in run.py). Prints the
functions that took the most time over ``--requests`` requests, restricted
to ``--filter`` (a regular expression on file names) when given.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run as bench_run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", default="er_off")
    parser.add_argument("--view", default="not_authenticated", choices=[v.name for v in bench_run.VIEWS])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--limit", type=int, default=35)
    parser.add_argument("--filter", default="", help="regular expression on file:function to keep")
    parser.add_argument("--dump", metavar="PATH", help="also write the raw pstats file")
    args = parser.parse_args(argv)

    setup_args = argparse.Namespace(
        no_pg=args.variant != "er_pg", pg_url=bench_run.DEFAULT_PG_URL, sqlite_journal="wal"
    )
    with contextlib.redirect_stdout(io.StringIO()):
        bench_run.setup_django(setup_args)
    from django.test import Client, override_settings

    variants = {v.key: v for v in bench_run.build_variants()}
    variant = variants[args.variant]
    view = next(v for v in bench_run.VIEWS if v.name == args.view)
    with override_settings(**variant.overrides):
        client = Client(raise_request_exception=False)
        for _ in range(100):
            view.call(client)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            view.call(client)
        profiler.disable()
    if args.dump:
        profiler.dump_stats(args.dump)
    stats = pstats.Stats(profiler).sort_stats(args.sort)
    print(f"{variant.label}, {view.name}, {args.requests} requests")
    stats.print_stats(*([args.filter] if args.filter else []), args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
