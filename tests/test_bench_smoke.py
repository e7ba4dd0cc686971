"""The in-process benchmark still runs: one short round on SQLite, in a subprocess.

The benchmark itself is not part of the suite (see bench/README.md); this only
proves ``bench/run.py`` works and prints its table for every variant it can run.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_run_quick_prints_every_view_for_drf_and_errorregistry(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--no-pg", "--json", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "ERRORREGISTRY_BENCH_DIR": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    out = completed.stdout
    for view in ("## not_authenticated", "## validation_5_fields", "## success"):
        assert view in out
    variants = ("| DRF default handler |", "| errorregistry, audit off |", "| errorregistry, audit on SQLite |",
                "| errorregistry, audit on SQLite, inline |")
    for variant in variants:
        assert out.count(variant) == 3, variant
    assert "## Bars" in out
    # With the writer, the request thread makes no query; inline, one write and no read.
    for view in ("not_authenticated", "validation_5_fields"):
        assert f"[met] {view}: errorregistry, audit on SQLite: no query on the request thread" in out
        assert f"[met] {view}: errorregistry, audit on SQLite, inline: one transaction (the event, its hourly count), no read" in out
