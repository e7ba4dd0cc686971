"""A real gunicorn serving the demo on loopback, on its own PostgreSQL database, for the load tests.

Everything reaches the workers through the environment (see tests/load/settings.py).
The server is stopped with SIGTERM, as a deployment would stop it, so that the
workers flush their audit writers before exiting; ``audit_accounting`` then
compares what was stored and what was logged with the error responses sent.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
# One load database per run, like the test database: two runs on one server never drop each other's.
LOAD_DATABASE = f"errorregistry_load_{os.getpid()}"

needs_postgres_and_redis = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
    reason="the load tests need PostgreSQL and Redis: set DATABASE_URL and REDIS_URL",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_database_url() -> str:
    parsed = urlparse(os.environ["DATABASE_URL"])
    return parsed._replace(path="/" + LOAD_DATABASE).geturl()


def admin_connection():
    import psycopg

    return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, connect_timeout=5)


def recreate_load_database() -> None:
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {LOAD_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {LOAD_DATABASE}")


def drop_load_database() -> None:
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {LOAD_DATABASE} WITH (FORCE)")


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def request_once(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str], timeout: float = 15):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = {"Connection": "close", **headers}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@dataclass
class AuditAccounting:
    """Where each error response's event went: a row, a JSON line in the log, or a flood count."""

    rows: list[str]
    logged: list[str]
    suppressed: int
    summaries: list[str] = field(default_factory=list)

    def accounts_for(self, request_ids: list[str]) -> bool:
        stored, logged = set(self.rows), set(self.logged)
        return (
            len(self.rows) == len(stored)
            and len(self.logged) == len(logged)
            and not stored & logged
            and len(stored | logged) + self.suppressed == len(request_ids)
            and stored | logged <= set(request_ids)
        )


class GunicornServer:
    def __init__(self, tmp_path: Path, workers: int, extra_env: dict[str, str]) -> None:
        self.cache_prefix = f"errorregistry-load-{uuid.uuid4().hex[:12]}"
        self.log_path = tmp_path / "gunicorn.log"
        self.env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="tests.load.settings",
            DATABASE_URL=load_database_url(),
            ERRORREGISTRY_LOAD_CACHE_PREFIX=self.cache_prefix,
            ERRORREGISTRY_VAR_DIR=str(tmp_path / "var"),
            PYTHONPATH=str(ROOT),
            **extra_env,
        )
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        recreate_load_database()
        manage(self.env, "migrate", "--noinput", "-v", "0")
        manage(self.env, "errorregistry_sync", "-v", "0")
        self.log = self.log_path.open("w")
        command = [
            sys.executable, "-m", "gunicorn", "project.wsgi:application",
            "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}", "--backlog", "1024",
            # Longer than AUDIT_SHUTDOWN_TIMEOUT: a worker stopped by SIGTERM flushes its audit writer.
            "--timeout", "30", "--graceful-timeout", "20", "--log-level", "warning",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log_path.read_text()}"
            try:
                if request_once(self.port, "GET", "/api/demo/health/", None, {})[0] == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{self.log_path.read_text()}"
            time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.log.close()

    def audit_accounting(self) -> AuditAccounting:
        """After ``stop()``: the rows in the database and the events the workers logged instead."""
        import psycopg

        with psycopg.connect(load_database_url(), connect_timeout=5) as conn:
            rows = [row[0] for row in conn.execute("SELECT request_id FROM errorregistry_errorevent")]
            suppressed = conn.execute("SELECT COALESCE(SUM(count), 0) FROM errorregistry_errorflood").fetchone()[0]
        logged, summaries = [], []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"request_id"' in line:
                logged.append(json.loads(line)["request_id"])
            elif "audit writer:" in line:
                summaries.append(line)
        return AuditAccounting(rows, logged, int(suppressed), summaries)


@pytest.fixture
def gunicorn(tmp_path):
    """Start with ``gunicorn(workers, **env)``; stopped with SIGTERM and its database dropped at the end."""
    servers: list[GunicornServer] = []

    def start(workers: int = 2, **extra_env: str) -> GunicornServer:
        server = GunicornServer(tmp_path, workers, extra_env)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
    if servers:
        drop_load_database()
