"""A pytest hook (no Django imports, so it can be tested on its own): the run ends by saying
which slow or machine-dependent test groups ran and which skipped, and why."""

# Test groups that skip when the machine lacks what they drive, by marker.
SKIPPABLE_GROUPS = {"e2e": "browser test (chromium)", "load": "load test (PostgreSQL + Redis)"}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say at the end of every run which groups did not run and why, so "the suite passed"
    never hides a skipped browser or load test."""
    outcomes = {marker: {"ran": 0, "skipped": 0, "reasons": set()} for marker in SKIPPABLE_GROUPS}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            keywords = getattr(report, "keywords", {})
            for marker, counts in outcomes.items():
                if marker not in keywords or getattr(report, "when", "call") not in ("setup", "call"):
                    continue
                if outcome == "skipped":
                    counts["skipped"] += 1
                    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
                    counts["reasons"].add(reason.removeprefix("Skipped: "))
                elif report.when == "call":
                    counts["ran"] += 1
    terminalreporter.section("browser and load tests", sep="-")
    for marker, counts in outcomes.items():
        name = SKIPPABLE_GROUPS[marker]
        if counts["skipped"]:
            for reason in sorted(counts["reasons"]):
                terminalreporter.write_line(f"{name}: SKIPPED ({counts['skipped']}) - {reason}", yellow=True)
        elif counts["ran"]:
            terminalreporter.write_line(f"{name}: ran ({counts['ran']})")
        else:
            terminalreporter.write_line(f"{name}: not collected in this run")
