#!/usr/bin/env python
"""The support tool at a million rows (PostgreSQL).

Fills ``errorregistry_errorevent`` in a dedicated database with realistic
events spread over 30 days (COPY), then measures what the support console
does, with the app's own functions and pages: lookup by request ID, the
search page end to end, the filtered list (indexed and unindexed filters),
the 24 h and 7 d charts with their top-codes table, the CSV export of
10,000 rows, and ``errorregistry_purge`` of the oldest half (every statement timed through
``connection.execute_wrapper``). ``EXPLAIN (ANALYZE, BUFFERS)`` of each query
goes into the results.

    .venv/bin/python bench/scale.py                      # 1,000,000 rows, results printed
    .venv/bin/python bench/scale.py --rows 20000         # a quick try
    .venv/bin/python bench/scale.py --save bench/results/scale-latest.md
    .venv/bin/python bench/scale.py --rows 10000000 --days 60 --partition   # daily partitions

The fill also writes the per-code, per-hour counts (``ErrorCount``) the charts read, as the
audit writer would have; ``--partition`` converts the table to daily partitions first
(``errorregistry_partition``), without it a partitioned table is reverted to a plain one.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/errorregistry_bench"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAIRS = [a + b for a in CROCKFORD for b in CROCKFORD]
COLUMNS = (
    "request_id client_request_id code unknown_code http_status message language method path query_string "
    "view_name user_id user_name context client_ip user_agent details exception_class traceback created_at"
).split()

BARS = {
    "lookup_median_ms": 1.0,
    "search_page_ms": 100.0,
    "filtered_list_ms": 300.0,
    "chart_ms": 100.0,
    "export_s": 5.0,
    "purge_statement_ms": 1000.0,
}


# -- setup --------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("ERRORREGISTRY_VAR_DIR", tempfile.mkdtemp(prefix="errorregistry-scale-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
    import django

    django.setup()
    from django.conf import settings

    # The test client's host, and local memory for the registry's version stamp.
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.CACHES["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("errorregistry_sync", verbosity=0, stdout=io.StringIO())


# -- data ---------------------------------------------------------------------


def ulid(ms: int, rng: random.Random) -> str:
    value = (ms << 80) | rng.getrandbits(79)
    return "req_" + "".join([PAIRS[(value >> shift) & 1023] for shift in range(120, -1, -10)])


def row_factory(rng: random.Random) -> Callable[[datetime], tuple]:
    """A function that makes one realistic event row for a timestamp."""
    from errorregistry.registry.store import registry

    entries = sorted(registry.all().values(), key=lambda e: e.code)
    rng.shuffle(entries)
    # A few codes make most of the traffic (Zipf-like), as in real APIs.
    weights = [1 / (rank + 1) ** 1.2 for rank in range(len(entries))]
    resources = ["orders", "designs", "exports", "accounts", "workspaces", "invoices", "keys", "members", "files", "hooks"]
    paths = [
        (f"/api/v1/{res}/" + (f"{rng.randrange(1, 10**6)}/" if i % 3 else ""), f"api:{res}-{'detail' if i % 3 else 'list'}")
        for i, res in enumerate(rng.choice(resources) for _ in range(400))
    ]
    users = [(str(uid), f"user{uid}@example.com") for uid in rng.sample(range(1, 10**7), 20000)]
    ips = [f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(5000)]
    agents = [
        "python-requests/2.32.3",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
        "curl/8.5.0",
        "okhttp/4.12.0",
        "axios/1.7.7",
        "Go-http-client/2.0",
        "PostmanRuntime/7.42.0",
    ]
    methods = ["GET"] * 12 + ["POST"] * 5 + ["PUT", "PATCH", "DELETE"]
    validation = json.dumps(
        {"errors": [{"field": "email", "code": "invalid", "message": "Enter a valid email address."},
                    {"field": "items.0.qty", "code": "min_value", "message": "Ensure this value is greater than or equal to 1."}]}
    )
    traceback = (
        "Traceback (most recent call last):\n  File \"/app/api/views.py\", line 88, in post\n"
        "    order = place_order(request.data)\n  File \"/app/billing/orders.py\", line 214, in place_order\n"
        "    raise DatabaseError(\"could not serialize access\")\ndjango.db.utils.OperationalError: could not serialize access\n"
    )

    def make(created_at: datetime) -> tuple:
        entry = rng.choices(entries, weights)[0]
        path, view_name = rng.choice(paths)
        user_id, user_name = rng.choice(users) if rng.random() < 0.65 else ("", "")
        fr = rng.random() < 0.15
        message, _action, language = entry.texts("fr" if fr else "en")
        server = entry.http_status >= 500
        return (
            ulid(int(created_at.timestamp() * 1000), rng),
            f"cli-{rng.getrandbits(64):016x}" if rng.random() < 0.2 else "",
            entry.code,
            False,
            entry.http_status,
            message,
            language,
            rng.choice(methods),
            path,
            "page=2&per_page=50" if rng.random() < 0.1 else "",
            view_name,
            user_id,
            user_name,
            json.dumps({"workspace": f"ws_{rng.randrange(3000)}"}) if rng.random() < 0.7 else "{}",
            rng.choice(ips),
            rng.choice(agents),
            validation if entry.code == "validation_error" else "{}",
            "django.db.utils.OperationalError" if server else "",
            traceback if server else "",
            created_at,
        )

    return make


def set_layout(partition: bool, days: int) -> str:
    """The audit table plain, or partitioned by day with partitions for ``days`` back; a description."""
    from django.db import connection

    from errorregistry.audit import partitions

    now = datetime.now(dt_timezone.utc)
    current = partitions.interval_of(connection)
    if partition and current is None:
        partitions.convert(connection, "day")
    elif not partition and current is not None:
        partitions.revert(connection)
    if not partition:
        return "one plain table"
    partitions.create_partitions(connection, "day", now - timedelta(days=days + 1), now + timedelta(days=7))
    return f"partitioned by day ({len(partitions.partitions(connection))} partitions)"


def fill(rows: int, days: int, seed: int, partition: bool = False) -> dict[str, Any]:
    """Empty the table and COPY ``rows`` events spread over ``days`` up to now, oldest first;
    then the hourly counts of those events, as the audit writer keeps them."""
    from django.db import connection

    rng = random.Random(seed)
    make = row_factory(rng)
    now = datetime.now(dt_timezone.utc)
    span = days * 86400
    offsets = sorted(rng.random() * span for _ in range(rows))
    started = time.perf_counter()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE errorregistry_errorevent, errorregistry_errorcount RESTART IDENTITY")
    layout = set_layout(partition, days)
    pg = connection.connection
    with pg.cursor() as cursor:
        with cursor.copy(f"COPY errorregistry_errorevent ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for offset in reversed(offsets):
                copy.write_row(make(now - timedelta(seconds=offset)))
    loaded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO errorregistry_errorcount (code, hour, count) "
            "SELECT code, date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', count(*) "
            "FROM errorregistry_errorevent GROUP BY 1, 2"
        )
        cursor.execute("VACUUM ANALYZE errorregistry_errorcount")
        cursor.execute("VACUUM ANALYZE errorregistry_errorevent")
        # A partitioned table has no storage of its own: its size is its partitions'.
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('errorregistry_errorevent') + COALESCE(("
            "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
            "WHERE inhparent = 'errorregistry_errorevent'::regclass), 0))"
        )
        size = cursor.fetchone()[0]
    return {"rows": rows, "days": days, "copy_s": loaded, "total_s": time.perf_counter() - started, "size": size,
            "layout": layout}


# -- measuring ----------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def explain_queries(fn: Callable[[], Any]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT that ``fn`` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    plans = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        audit_tables = ("errorregistry_errorevent", "errorregistry_errorcount")
        if not sql.lstrip().upper().startswith("SELECT") or not any(table in sql for table in audit_tables):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        plans.append(f"{sql}\n\n{plan}")
    return plans


def sample_ids(count: int, column: str, seed: int) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM errorregistry_errorevent")
        top = cursor.fetchone()[0] or 0
        rng = random.Random(seed)
        ids = [rng.randrange(1, top + 1) for _ in range(count * 8)]
        cursor.execute(
            f"SELECT {column} FROM errorregistry_errorevent WHERE id = ANY(%s) AND {column} <> '' LIMIT %s", [ids, count]
        )
        return [row[0] for row in cursor.fetchall()]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from errorregistry.support.charts import count_errors
    from errorregistry.models import ErrorEvent
    from errorregistry.support.forms import EventFilterForm
    from errorregistry.support.queries import find_events, keyset_page, top_codes

    results: dict[str, Any] = {"explain": {}}

    # 1. Lookup by request ID, as the search page does it.
    request_ids = sample_ids(args.lookups, "request_id", args.seed)
    for rid in request_ids[:20]:
        find_events(rid)  # warm the connection and the plan cache
    lookups = [timed(lambda rid=rid: find_events(rid))[0] for rid in request_ids]
    results["lookup"] = {"n": len(lookups), "median_ms": statistics.median(lookups), "p99_ms": pct(lookups, 0.99),
                         "max_ms": max(lookups)}
    results["explain"]["lookup by request ID"] = explain_queries(lambda: find_events(request_ids[0]))
    client_ids = sample_ids(200, "client_request_id", args.seed + 1)
    by_client = [timed(lambda cid=cid: find_events(cid))[0] for cid in client_ids]
    results["lookup_client_id"] = {"n": len(by_client), "median_ms": statistics.median(by_client),
                                   "p99_ms": pct(by_client, 0.99)}
    results["explain"]["lookup by client request ID (after a miss on request ID)"] = explain_queries(
        lambda: find_events(client_ids[0])
    )

    # 2. The search page for one ID, end to end through the test client (search -> redirect -> event page).
    user_model = get_user_model()
    staff, _created = user_model.objects.get_or_create(
        username="bench-support", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(staff)
    search_url = reverse("admin:errorregistry_supportconsole_changelist")
    client.get(search_url)
    page_ids = request_ids[: args.pages]
    search_only, search_follow = [], []
    for rid in page_ids:
        ms, response = timed(lambda rid=rid: client.get(search_url, {"q": rid}))
        assert response.status_code == 302, response.status_code
        search_only.append(ms)
        ms_event, event_response = timed(lambda location=response["Location"]: client.get(location))
        assert event_response.status_code == 200 and rid.encode() in event_response.content
        search_follow.append(ms + ms_event)
    results["search_page"] = {
        "n": len(page_ids),
        "search_median_ms": statistics.median(search_only),
        "median_ms": statistics.median(search_follow),
        "p99_ms": pct(search_follow, 0.99),
        "max_ms": max(search_follow),
    }
    event_location = client.get(search_url, {"q": page_ids[0]})["Location"]
    results["explain"]["event page (after the redirect)"] = explain_queries(lambda: client.get(event_location))

    # 3. The filtered list: indexed filters (code, user), then filters on unindexed columns
    #    (path prefix, method, language), each with and without a time range.

    from django.db.models import Sum

    from errorregistry.models import ErrorCount

    codes = list(
        ErrorCount.objects.order_by().values("code").annotate(n=Sum("count")).order_by("-n").values_list("code", flat=True)
    )
    sample = ErrorEvent.objects.filter(user_id__gt="").order_by("-id").values("path", "user_id").first()
    path_prefix = "/".join(sample["path"].split("/")[:4]) + "/"
    events_url = reverse("admin:errorregistry_support_events")
    cases = [
        ("most frequent code", {"code": codes[0], "since": "24h"}),
        ("a rare code", {"code": codes[-1], "since": "24h"}),
        ("one user", {"user": sample["user_id"]}),
        ("path prefix, 24 h", {"path": path_prefix, "since": "24h"}),
        ("method + language, 24 h", {"method": "DELETE", "language": "fr", "since": "24h"}),
        ("path prefix, no time range", {"path": path_prefix}),
        ("method + language, no time range", {"method": "DELETE", "language": "fr"}),
        # The worst case: an unindexed filter that matches nothing walks every row of its range
        # (the form bounds unindexed filters to the last 7 days when nothing else narrows them).
        ("path prefix matching nothing, no time range", {"path": "/no/such/path/"}),
        ("path prefix matching nothing, 30 days", {"path": "/no/such/path/", "since": "30d"}),
    ]
    listed = {}
    for label, params in cases:
        form = EventFilterForm(params)
        assert form.is_valid(), form.errors

        def page(form: EventFilterForm = form) -> Any:
            return keyset_page(form.filter(ErrorEvent.objects.all()))

        page()
        times = [timed(page)[0] for _ in range(args.repeat)]
        size = len(page().events)
        page_times = [timed(lambda params=params: client.get(events_url, params))[0] for _ in range(5)]
        listed[label] = {"params": params, "rows": size, "median_ms": statistics.median(times), "max_ms": max(times),
                         "page_median_ms": statistics.median(page_times)}
        results["explain"][f"filtered list, {label}: {params}"] = explain_queries(page)
    results["filtered_list"] = listed

    # 4. The chart and its top-codes table (what the list page draws above the events): 24 h and 7 d.
    charts = {}
    for window in ("24h", "7d"):
        def chart_and_trends(window: str = window) -> Any:
            chart = count_errors(window)  # unfiltered: the counts table, as the page reads it
            return chart, top_codes(None, chart)

        chart_and_trends()
        chart_times = [timed(lambda window=window: count_errors(window))[0] for _ in range(args.repeat)]
        both_times = [timed(chart_and_trends)[0] for _ in range(args.repeat)]
        page_ms, response = timed(lambda window=window: client.get(events_url, {"window": window}))
        assert response.status_code == 200
        charts[window] = {"median_ms": statistics.median(chart_times), "max_ms": max(chart_times),
                          "with_top_codes_median_ms": statistics.median(both_times),
                          "with_top_codes_max_ms": max(both_times), "page_ms": page_ms}
        results["explain"][f"chart {window} and its top codes"] = explain_queries(chart_and_trends)
    results["charts"] = charts

    # 5. The CSV export of 10,000 rows, streamed through the test client: first row, then the whole file.
    export_url = reverse("admin:errorregistry_support_export")
    exports = []
    for _ in range(3):
        started = time.perf_counter()
        response = client.get(export_url)
        chunks = iter(response.streaming_content)
        first = next(chunks)
        first_ms = (time.perf_counter() - started) * 1000
        size, lines = len(first), first.count(b"\n")
        for chunk in chunks:
            size += len(chunk)
            lines += chunk.count(b"\n")
        exports.append({"first_ms": first_ms, "total_s": time.perf_counter() - started, "rows": lines - 1, "bytes": size})
    results["export"] = {"runs": exports, "median_s": statistics.median(e["total_s"] for e in exports),
                         "max_s": max(e["total_s"] for e in exports), "rows": exports[0]["rows"],
                         "bytes": exports[0]["bytes"], "first_ms": statistics.median(e["first_ms"] for e in exports)}
    return results


def purge(args: argparse.Namespace) -> dict[str, Any]:
    """``errorregistry_purge`` of the oldest ``--purge`` rows, every statement timed."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT created_at FROM errorregistry_errorevent ORDER BY created_at OFFSET %s LIMIT 1", [args.purge]
        )
        row = cursor.fetchone()
    if row is None:
        return {"skipped": "fewer rows than --purge"}
    minutes = int((timezone.now() - row[0]).total_seconds() // 60)
    statements: list[tuple[float, str, Any]] = []

    def timer(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(((time.perf_counter() - start) * 1000, sql, params))

    from errorregistry.models import ErrorEvent

    # The batch query as retention.purge_older_than builds it, explained before anything is deleted.
    first_batch = (
        ErrorEvent.objects.filter(created_at__lt=timezone.now() - timedelta(minutes=minutes))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[: args.batch_size]
    )
    plans = {"purge, batch SELECT before the purge": [first_batch.explain(analyze=True, buffers=True)]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM errorregistry_errorevent")
        before = cursor.fetchone()[0]
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        call_command(
            "errorregistry_purge",
            older_than=f"{minutes}m",
            batch_size=args.batch_size,
            verbosity=0,
            stdout=io.StringIO(),
        )
    total = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM errorregistry_errorevent")
        after = cursor.fetchone()[0]

    def kind(sql: str) -> str:
        return sql.lstrip().split(None, 1)[0].upper()

    longest = max(statements, key=lambda s: s[0])
    by_kind: dict[str, list[float]] = {}
    for ms, sql, _params in statements:
        by_kind.setdefault(kind(sql), []).append(ms)
    deletes = [s for s in statements if kind(s[1]) == "DELETE"]
    selects = [s for s in statements if kind(s[1]) == "SELECT"]
    picks = [("first batch DELETE (plan only)", deletes[0])] if deletes else []
    picks += [("last batch SELECT, re-run after the purge", selects[-1])] if selects else []
    dropped = [s for s in statements if kind(s[1]) in ("ALTER", "DROP")]
    for label, picked in picks:
        analyze = "(ANALYZE, BUFFERS) " if picked[1].lstrip().upper().startswith("SELECT") else ""
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + analyze + picked[1], picked[2])
            plan = "\n".join(shorten(r[0]) for r in cursor.fetchall())
        shown = picked[1] if len(picked[1]) < 400 else picked[1][:300] + " ... " + picked[1][-60:]
        plans[f"purge, {label}"] = [f"{shown}\n\n{plan}"]
    return {
        "older_than": f"{minutes}m",
        "deleted": before - after,
        "rows_left": after,
        "batch_size": args.batch_size,
        "statements": len(statements),
        "total_s": total,
        "longest_ms": longest[0],
        "longest_sql": longest[1][:120],
        "per_kind": {k: {"n": len(v), "median_ms": statistics.median(v), "max_ms": max(v)} for k, v in by_kind.items()},
        # Detaching and dropping one partition (a day) is two statements: their sum per partition.
        "drop_day_ms": [a[0] + b[0] for a, b in zip(dropped[::2], dropped[1::2])],
        "explain": plans,
    }


def shorten(line: str, limit: int = 300) -> str:
    """A plan line without the 5,000 primary keys of a batch."""
    return line if len(line) <= limit else f"{line[:200]} ... {line[-60:]}"


# -- report -------------------------------------------------------------------


def machine() -> str:
    import django
    import rest_framework
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}, Django {django.__version__}, DRF {rest_framework.VERSION}, "
        f"PostgreSQL {pg}; load average {load}"
    )


def render(data: dict[str, Any], purged: dict[str, Any] | None, load_start: str, load_end: str) -> str:
    fill_info = data.get("fill")
    bars: list[tuple[str, bool, str]] = []
    lk = data["lookup"]
    bars.append(("lookup by request ID, median < 1 ms", lk["median_ms"] < BARS["lookup_median_ms"],
                 f"{lk['median_ms']:.2f} ms (p99 {lk['p99_ms']:.2f} ms, n={lk['n']})"))
    sp = data["search_page"]
    bars.append(("search page for one ID < 100 ms (search + redirect + event page)",
                 sp["p99_ms"] < BARS["search_page_ms"],
                 f"median {sp['median_ms']:.1f} ms, p99 {sp['p99_ms']:.1f} ms, max {sp['max_ms']:.1f} ms"))
    for label, row in data["filtered_list"].items():
        bars.append((f"filtered list ({label}: {row['params']}) < 300 ms", row["max_ms"] < BARS["filtered_list_ms"],
                     f"median {row['median_ms']:.2f} ms, max {row['max_ms']:.2f} ms ({row['rows']} rows); "
                     f"whole page with chart and top codes {row['page_median_ms']:.1f} ms"))
    for window, row in data["charts"].items():
        bars.append((f"chart {window} and its top-codes table < 100 ms", row["with_top_codes_max_ms"] < BARS["chart_ms"],
                     f"chart median {row['median_ms']:.1f} ms (max {row['max_ms']:.1f}); with top codes median "
                     f"{row['with_top_codes_median_ms']:.1f} ms, max {row['with_top_codes_max_ms']:.1f} ms; "
                     f"whole page {row['page_ms']:.1f} ms"))
    ex = data["export"]
    bars.append((f"CSV export of {ex['rows']:,} rows streams in < 5 s", ex["max_s"] < BARS["export_s"],
                 f"median {ex['median_s']:.2f} s, max {ex['max_s']:.2f} s; first row after {ex['first_ms']:.0f} ms; "
                 f"{ex['bytes'] / 1e6:.1f} MB"))
    if purged and purged.get("drop_day_ms"):
        bars.append(("dropping a day of events < 1 s", max(purged["drop_day_ms"]) < 1000,
                     f"detach + drop per day: median {statistics.median(purged['drop_day_ms']):.1f} ms, "
                     f"max {max(purged['drop_day_ms']):.1f} ms over {len(purged['drop_day_ms'])} partitions"))
    if purged and "longest_ms" in purged:
        bars.append(("no purge statement over 1 s", purged["longest_ms"] < BARS["purge_statement_ms"],
                     f"longest {purged['longest_ms']:.0f} ms; {purged['deleted']} rows in {purged['total_s']:.1f} s"))
    lines = [
        f"# bench/scale.py: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        f"Machine: {machine()}",
        f"Load average at start: {load_start}; at end: {load_end}.",
    ]
    if fill_info:
        lines.append(
            f"Data: {fill_info['rows']:,} events over {fill_info['days']} days, COPY in {fill_info['copy_s']:.0f} s "
            f"(with the counts and VACUUM ANALYZE {fill_info['total_s']:.0f} s); table + indexes {fill_info['size']}; "
            f"{fill_info.get('layout', 'one plain table')}."
        )
    lines += ["", "## Bars", ""]
    lines += [f"- [{'met' if ok else 'MISSED'}] {bar}: {figure}" for bar, ok, figure in bars]
    lines += ["", "## Figures", ""]
    lines.append(f"- lookup by request ID: median {lk['median_ms']:.2f} ms, p99 {lk['p99_ms']:.2f} ms, "
                 f"max {lk['max_ms']:.2f} ms over {lk['n']} random IDs")
    lc = data["lookup_client_id"]
    lines.append(f"- lookup by client request ID (miss on request ID first): median {lc['median_ms']:.2f} ms, "
                 f"p99 {lc['p99_ms']:.2f} ms over {lc['n']}")
    lines.append(f"- search page: search alone median {sp['search_median_ms']:.1f} ms; search + event page "
                 f"median {sp['median_ms']:.1f} ms, p99 {sp['p99_ms']:.1f} ms over {sp['n']} IDs")
    if purged and "longest_ms" in purged:
        lines.append(
            f"- purge (`errorregistry_purge --older-than {purged['older_than']} --batch-size {purged['batch_size']}`): "
            f"{purged['deleted']:,} rows deleted in {purged['total_s']:.1f} s, {purged['statements']} statements, "
            f"longest {purged['longest_ms']:.0f} ms (`{purged['longest_sql']}...`)"
        )
        for kind, row in purged["per_kind"].items():
            lines.append(f"  - {kind}: {row['n']} statements, median {row['median_ms']:.0f} ms, max {row['max_ms']:.0f} ms")
    lines += ["", "## EXPLAIN", ""]
    explains = dict(data["explain"])
    if purged:
        explains.update(purged.get("explain", {}))
    for label, plans in explains.items():
        lines.append(f"### {label}")
        lines.append("")
        for plan in plans:
            lines += ["```", plan, "```", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("ERRORREGISTRY_SCALE_URL", DEFAULT_URL),
                        help=f"PostgreSQL database to fill (created if missing; default {DEFAULT_URL})")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--purge", type=int, default=None, help="rows to purge (default: half of --rows)")
    parser.add_argument("--batch-size", type=int, default=None, help="purge batch size (default: PURGE_BATCH_SIZE)")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=50, help="search pages fetched end to end")
    parser.add_argument("--repeat", type=int, default=10, help="repetitions of the list and chart queries")
    parser.add_argument("--reuse", action="store_true", help="keep the rows already there if there are --rows of them")
    parser.add_argument("--no-purge", action="store_true")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--partition", action="store_true", help="partition the table by day (errorregistry_partition)")
    parser.add_argument("--save", metavar="PATH")
    args = parser.parse_args(argv)
    args.purge = args.purge if args.purge is not None else args.rows // 2

    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    ensure_database(args.url)
    setup_django(args.url)
    from django.db import connection

    from errorregistry.conf import registry_settings

    if args.batch_size is None:
        args.batch_size = registry_settings.PURGE_BATCH_SIZE
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM errorregistry_errorevent")
        existing = cursor.fetchone()[0]
    data: dict[str, Any] = {}
    from errorregistry.audit.partitions import interval_of

    if args.reuse and existing == args.rows and (interval_of(connection) is not None) == args.partition:
        print(f"reusing {existing:,} rows", flush=True)
    else:
        print(f"filling {args.rows:,} rows over {args.days} days ...", flush=True)
        data["fill"] = fill(args.rows, args.days, args.seed, args.partition)
        print(f"  done in {data['fill']['total_s']:.0f} s ({data['fill']['size']})", flush=True)
    print("measuring ...", flush=True)
    data.update(measure(args))
    purged = None
    if not args.no_purge:
        print(f"purging the oldest {args.purge:,} ...", flush=True)
        purged = purge(args)
    load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    text = render(data, purged, load_start, load_end)
    print(text)
    if args.save:
        Path(args.save).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
