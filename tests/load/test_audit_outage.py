"""The audit's database misbehaves under a real gunicorn; the API does not notice.

Two workers serve a steady, bounded load of failing requests. Then, for a while,
the audit table is locked (``LOCK TABLE … ACCESS EXCLUSIVE``, as a migration or a
``VACUUM FULL`` would hold it) or every round trip to the audit database takes 2 s
(a proxy in this process delays it). Asserted: the API keeps at least 30% of its
rate with p99 under 1 s and no 5xx; once the server stopped (SIGTERM), every error
response is accounted for: stored, or logged by the writer as one JSON line.
Also: a SIGTERM in the middle of the load loses nothing.
"""

from __future__ import annotations

import signal
import socket
import statistics
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.load.conftest import load_database_url, needs_postgres_and_redis, request_once

pytestmark = [pytest.mark.load, needs_postgres_and_redis]

CLIENTS = 8
BASELINE_SECONDS = 4.0
OUTAGE_SECONDS = {"locked": 15.0, "slow": 8.0}
AFTER_SECONDS = 2.0
PLAN = [
    ("GET", "/api/demo/account/"),  # 401 not_authenticated (DRF)
    ("GET", "/api/demo/no-such-endpoint/"),  # 404 not_found (Django)
    ("GET", "/api/demo/errors/payment_required/"),  # 402 (ApiError)
]


@dataclass
class Answer:
    sent: float
    elapsed: float
    status: int
    request_id: str


class SteadyLoad:
    """CLIENTS threads sending PLAN in a loop until stopped; every answer kept with its time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.answers: list[Answer] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(n,), daemon=True) for n in range(CLIENTS)]

    def client(self, number: int) -> None:
        index = number
        while not self.stopping.is_set():
            method, path = PLAN[index % len(PLAN)]
            index += 1
            sent = time.monotonic()
            try:
                status, headers, _ = request_once(self.port, method, path, None, {}, timeout=10)
            except OSError as exc:
                with self.lock:
                    self.failures.append(repr(exc))
                continue
            with self.lock:
                self.answers.append(Answer(sent, time.monotonic() - sent, status, headers.get("X-Request-Id", "")))

    def __enter__(self) -> SteadyLoad:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(15)

    def between(self, start: float, end: float) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if start <= a.sent and a.sent + a.elapsed <= end]


@contextmanager
def audit_table_locked():
    import psycopg

    with psycopg.connect(load_database_url(), connect_timeout=5) as conn:
        conn.execute("LOCK TABLE errorregistry_errorevent IN ACCESS EXCLUSIVE MODE")
        yield
        conn.rollback()


class DelayingProxy:
    """A TCP proxy to PostgreSQL that, while ``slow`` is set, holds every reply for ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.slow = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closing = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", 5432))
            threading.Thread(target=self.pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, True), daemon=True).start()

    def pump(self, source: socket.socket, target: socket.socket, replies: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if replies and self.slow.is_set():
                    time.sleep(self.delay)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.closing = True
        self.listener.close()


@contextmanager
def audit_database_slow(proxy: DelayingProxy):
    proxy.slow.set()
    try:
        yield
    finally:
        proxy.slow.clear()


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@pytest.mark.parametrize("outage", ["locked", "slow"])
def test_an_audit_outage_does_not_stall_the_api_and_loses_nothing(gunicorn, outage, capsys):
    proxy = DelayingProxy(delay=2.0) if outage == "slow" else None
    extra = {"ERRORREGISTRY_LOAD_AUDIT_PORT": str(proxy.port)} if proxy else {}
    server = gunicorn(2, **extra)
    try:
        with SteadyLoad(server.port) as load:
            time.sleep(BASELINE_SECONDS)
            outage_started = time.monotonic()
            with audit_table_locked() if proxy is None else audit_database_slow(proxy):
                time.sleep(OUTAGE_SECONDS[outage])
            outage_ended = time.monotonic()
            time.sleep(AFTER_SECONDS)
        server.stop()  # SIGTERM: the workers flush (or log) what their writers still hold
    finally:
        if proxy:
            proxy.close()

    baseline = load.between(outage_started - BASELINE_SECONDS + 1.0, outage_started)
    during = load.between(outage_started, outage_ended)
    baseline_rate = len(baseline) / (BASELINE_SECONDS - 1.0)
    during_rate = len(during) / (outage_ended - outage_started)
    audit = server.audit_accounting()
    errors = [a.request_id for a in load.answers if a.status >= 400]
    figures = {
        "outage": outage,
        "baseline req/s": round(baseline_rate, 1),
        "during outage req/s": round(during_rate, 1),
        "ratio": round(during_rate / baseline_rate, 2) if baseline_rate else None,
        "p99 during outage (ms)": round(p99([a.elapsed for a in during]) * 1000, 1) if during else None,
        "p50 during outage (ms)": round(statistics.median(a.elapsed for a in during) * 1000, 1) if during else None,
        "error responses": len(errors),
        "audit rows": len(audit.rows),
        "logged instead": len(audit.logged),
        "writer summaries": len(audit.summaries),
    }
    with capsys.disabled():
        print(f"\n== audit outage ({outage}) ==", *(f"  {k:<24} {v}" for k, v in figures.items()), sep="\n")

    assert not load.failures, load.failures[:5]
    assert all(400 <= a.status < 500 for a in load.answers), {a.status for a in load.answers}
    assert during, "no request completed during the outage"
    assert during_rate >= 0.30 * baseline_rate, figures
    assert p99([a.elapsed for a in during]) < 1.0, figures
    assert audit.accounts_for(errors), figures
    if outage == "locked":
        assert audit.logged, "a 15 s lock outlasts AUDIT_WRITE_TIMEOUT: some batches must have been logged"
        assert len(audit.summaries) <= 2 * 2 * (OUTAGE_SECONDS[outage] / 10 + 1), audit.summaries  # bounded


def test_sigterm_in_the_middle_of_the_load_loses_nothing(gunicorn):
    server = gunicorn(2)
    with SteadyLoad(server.port) as load:
        time.sleep(3.0)
        server.stop(signal.SIGTERM)  # while clients are still sending
        time.sleep(0.5)
    audit = server.audit_accounting()
    errors = [a.request_id for a in load.answers if a.status >= 400]
    assert len(errors) > 50
    assert audit.accounts_for(errors), (len(errors), len(audit.rows), len(audit.logged))
    assert not audit.logged, audit.summaries

