"""The end of a run says which browser and load tests skipped, and why."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = '''
import pytest

@pytest.mark.e2e
def test_browser():
    pytest.skip("no chromium here")

@pytest.mark.load
def test_load():
    pass
'''


def test_run_ends_naming_skipped_groups_with_their_reason(tmp_path):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.skip_summary", "-p", "no:django", "-p", "no:cacheprovider",
         "-W", "ignore::pytest.PytestUnknownMarkWarning", str(tmp_path)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = completed.stdout.split("browser and load tests", 1)[1]
    assert "browser test (chromium): SKIPPED (1) - no chromium here" in summary
    assert "load test (PostgreSQL + Redis): ran (1)" in summary
