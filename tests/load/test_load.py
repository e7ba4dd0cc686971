"""Load: gunicorn with several workers on loopback, PostgreSQL and Redis, 20,000 failing requests.

Asserts zero 5xx that the client did not ask for, one audit row per error
response, no duplicate request ID, and that an admin edit made during the load
(an ORM save from this process against the same database, publishing to the
same Redis) reaches every worker within RELOAD_INTERVAL + 1 s.

Runs only when DATABASE_URL and REDIS_URL point at real services (CI's second
``make test`` pass); it creates and drops its own database, ``errorregistry_load``.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.db import connections
from django.test import override_settings

pytestmark = [
    pytest.mark.load,
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="the load test needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
# One load database per run, like the test database: two runs on one server never drop each other's.
LOAD_DATABASE = f"errorregistry_load_{os.getpid()}"
WORKERS = 3
REQUESTS = 20_000
CONCURRENCY = 50
RELOAD_INTERVAL = 1.0
EDIT_AFTER = 6_000  # requests completed before the admin edit
TIME_LIMIT = 150.0  # seconds for the whole load, a hard stop
POLLED_CODE = "payment_required"
EDITED_MESSAGE = "Payment is required (edited during the load)."

# (method, path, body, extra headers, asks for a 5xx). Every request fails.
PLAN = [
    ("GET", "/api/demo/account/", None, {}, False),
    ("GET", f"/api/demo/errors/{POLLED_CODE}/", None, {}, False),
    ("POST", "/api/demo/orders/", b'{"items": [{}], "connector": {"config": {}}}', {}, False),
    ("GET", "/api/demo/no-such-endpoint/", None, {}, False),
    ("GET", f"/api/demo/errors/{POLLED_CODE}/", None, {}, False),
    ("POST", "/api/demo/exports/", b"{}", {"X-Token-Scope": "read_write"}, False),
    ("POST", "/api/demo/orders/", b'{"items": [', {}, False),
    ("GET", "/api/demo/plain/missing/", None, {}, False),
    ("GET", f"/api/demo/errors/{POLLED_CODE}/", None, {"Accept-Language": "de"}, False),
    ("POST", "/api/demo/exports/", b"{}", {"X-Request-Id": "client-correlation-1"}, False),
    ("DELETE", "/api/demo/health/", None, {}, False),
    ("GET", "/api/demo/errors/service_unavailable/", None, {}, True),
    ("GET", f"/api/demo/errors/{POLLED_CODE}/", None, {}, False),
    ("GET", "/api/demo/crash/", None, {}, True),
    ("GET", "/api/demo/plain/forbidden/", None, {}, False),
]


@dataclass
class Outcome:
    index: int
    sent: float
    received: float
    status: int
    request_id: str
    body_request_id: str | None
    code: str | None
    message: str | None
    worker: str
    asked_for_5xx: bool


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_database_url() -> str:
    parsed = urlparse(os.environ["DATABASE_URL"])
    return parsed._replace(path="/" + LOAD_DATABASE).geturl()


def recreate_load_database() -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {LOAD_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {LOAD_DATABASE}")


def drop_load_database() -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {LOAD_DATABASE} WITH (FORCE)")


def server_env(tmp_path: Path, cache_prefix: str) -> dict[str, str]:
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.load.settings",
        DATABASE_URL=load_database_url(),
        ERRORREGISTRY_LOAD_CACHE_PREFIX=cache_prefix,
        ERRORREGISTRY_LOAD_RELOAD_INTERVAL=str(RELOAD_INTERVAL),
        ERRORREGISTRY_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT),
    )


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def request_once(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        all_headers = {"Connection": "close", **headers}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture
def gunicorn_server(tmp_path):
    cache_prefix = f"errorregistry-load-{uuid.uuid4().hex[:12]}"
    env = server_env(tmp_path, cache_prefix)
    recreate_load_database()
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "errorregistry_sync", "-v", "0")

    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("w")
    command = [
        sys.executable, "-m", "gunicorn", "project.wsgi:application",
        "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--backlog", "1024",
        "--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"gunicorn exited:\n{log_path.read_text()}"
            try:
                if request_once(port, "GET", "/api/demo/health/", None, {})[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{log_path.read_text()}"
            time.sleep(0.2)
        yield port, cache_prefix, log_path
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()
        drop_load_database()


@pytest.fixture
def load_alias(django_db_blocker):
    """This process's own connection to the load database, for the admin edit."""
    alias = "load"
    connections.settings[alias] = dict(connections.settings["default"], NAME=LOAD_DATABASE, CONN_MAX_AGE=0)
    with django_db_blocker.unblock():
        yield alias
        connections[alias].close()
    if hasattr(connections._connections, alias):
        delattr(connections._connections, alias)
    del connections.settings[alias]


def run_load(port: int, on_progress) -> tuple[list[Outcome], list[str], float]:
    """Send REQUESTS requests from CONCURRENCY threads; call ``on_progress(done)`` from one thread."""
    counter = itertools.count()
    outcomes: list[Outcome] = []
    failures: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + TIME_LIMIT

    def client() -> None:
        while time.monotonic() < deadline:
            index = next(counter)
            if index >= REQUESTS:
                return
            method, path, body, headers, asked = PLAN[index % len(PLAN)]
            sent = time.monotonic()
            try:
                status, response_headers, content = request_once(port, method, path, body, headers)
            except OSError as exc:
                with lock:
                    failures.append(f"{method} {path}: {exc!r}")
                continue
            received = time.monotonic()
            error = {}
            if content:
                try:
                    error = json.loads(content).get("error") or {}
                except ValueError:
                    error = {"code": "<not JSON>"}
            outcome = Outcome(
                index, sent, received, status, response_headers.get("X-Request-Id", ""),
                error.get("request_id"), error.get("code"), error.get("message"),
                response_headers.get("X-Worker-Pid", "?"), asked,
            )
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        on_progress(len(outcomes))
        time.sleep(0.05)
    return outcomes, failures, time.monotonic() - started


def audit_rows() -> list[str]:
    import psycopg

    with psycopg.connect(load_database_url(), connect_timeout=5) as conn:
        return [row[0] for row in conn.execute("SELECT request_id FROM errorregistry_errorevent")]


def report(capsys, figures: dict) -> None:
    lines = ["", "== errorregistry load test =="]
    lines += [f"  {name:<28} {value}" for name, value in figures.items()]
    with capsys.disabled():
        print("\n".join(lines), flush=True)
    artifacts = os.environ.get("ERRORREGISTRY_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        (Path(artifacts) / "load-figures.json").write_text(json.dumps(figures, indent=2))


def test_load_no_5xx_no_lost_audit_row_no_duplicate_id_and_edits_reach_every_worker(
    gunicorn_server, load_alias, capsys
):
    from errorregistry.models import ErrorCode

    port, cache_prefix, log_path = gunicorn_server
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": cache_prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    old_message = ErrorCode.objects.using(load_alias).get(code=POLLED_CODE).message
    edit: dict[str, float] = {}

    def edit_once(done: int) -> None:
        if done >= EDIT_AFTER and not edit:
            row = ErrorCode.objects.using(load_alias).get(code=POLLED_CODE)
            row.message = EDITED_MESSAGE
            row.save(using=load_alias)  # commits, then publishes the new version to Redis
            edit["at"] = time.monotonic()

    with override_settings(CACHES=redis_cache):
        outcomes, failures, elapsed = run_load(port, edit_once)

    errors = [o for o in outcomes if o.status >= 400]
    unasked_5xx = [o for o in outcomes if o.status >= 500 and not o.asked_for_5xx]
    request_ids = [o.request_id for o in outcomes]
    duplicates = len(request_ids) - len(set(request_ids))
    rows = audit_rows()
    workers = sorted({o.worker for o in outcomes})

    # Propagation: per worker, the first polled response with the edited text.
    polled = [o for o in outcomes if o.code == POLLED_CODE and o.message in (old_message, EDITED_MESSAGE)]
    first_seen = {}
    for outcome in sorted(polled, key=lambda o: o.received):
        if outcome.message == EDITED_MESSAGE and outcome.worker not in first_seen:
            first_seen[outcome.worker] = outcome.received - edit["at"]
    late_old = [o for o in polled if o.message == old_message and o.sent > edit["at"] + RELOAD_INTERVAL + 1.0]
    propagation = max(first_seen.values()) if len(first_seen) == len(workers) else float("inf")
    latencies = sorted(o.received - o.sent for o in outcomes)

    report(
        capsys,
        {
            "requests": len(outcomes),
            "transport failures": len(failures),
            "error responses": len(errors),
            "5xx asked for": sum(o.status >= 500 for o in outcomes) - len(unasked_5xx),
            "5xx not asked for": len(unasked_5xx),
            "audit rows": len(rows),
            "duplicate request IDs": duplicates,
            "workers": len(workers),
            "propagation max (s)": round(propagation, 3),
            "propagation per worker (s)": {w: round(t, 3) for w, t in sorted(first_seen.items())},
            "reload interval (s)": RELOAD_INTERVAL,
            "duration (s)": round(elapsed, 1),
            "requests per second": round(len(outcomes) / elapsed),
            "latency p50 / p99 (ms)": (
                round(statistics.median(latencies) * 1000, 1),
                round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
            ),
        },
    )

    assert not failures, failures[:5]
    assert len(outcomes) == REQUESTS, f"only {len(outcomes)} requests within {TIME_LIMIT} s"
    assert not unasked_5xx, [(o.status, o.code, PLAN[o.index % len(PLAN)][1]) for o in unasked_5xx[:5]]
    assert len(errors) == len(outcomes)  # every planned request fails
    assert all(o.body_request_id == o.request_id for o in outcomes)
    assert duplicates == 0
    assert len(rows) == len(errors) and set(rows) == set(request_ids), "audit rows differ from error responses"
    assert len(workers) == WORKERS, f"responses came from {workers}"
    assert "at" in edit, "the load ended before the admin edit"
    assert not late_old, f"{len(late_old)} responses still had the old text after RELOAD_INTERVAL + 1 s"
    assert propagation <= RELOAD_INTERVAL + 1.0, first_seen
