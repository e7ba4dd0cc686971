"""The background audit writer (``AUDIT_MODE = "background"``, the default) on a real database.

The request thread only queues the event; a writer thread stores it on its own
connection. These tests commit for real (``transaction=True``): the writer cannot
see, or write into, a test's own transaction.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import Client, override_settings

from errorregistry import flush_audit
from errorregistry.audit.writer import writer
from errorregistry.models import ErrorEvent, ErrorFlood
from errorregistry.request_id import new_request_id

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "/api/demo/account/"  # 401 not_authenticated for an anonymous client
MISSING = "/api/demo/no-such-endpoint/"  # 404 not_found


def background(**options) -> dict:
    return dict(django_settings.ERROR_REGISTRY, AUDIT_MODE="background", **options)


def audit_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "errorregistry.audit"]


def summaries(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "errorregistry" and "audit writer" in r.getMessage()]


@contextmanager
def audit_table_locked():
    """Another session holds the strongest lock on the audit table, as a migration or VACUUM FULL would."""
    if connection.vendor == "postgresql":
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=False) as other:
            other.execute(f"LOCK TABLE {ErrorEvent._meta.db_table} IN ACCESS EXCLUSIVE MODE")
            yield
            other.rollback()
    else:
        # The suite's in-memory SQLite is shared between connections: a second one holding a
        # write transaction on the table refuses the writer ("database table is locked").
        other = sqlite3.connect(connection.settings_dict["NAME"], uri=True, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute(f"DELETE FROM {ErrorEvent._meta.db_table} WHERE id < 0")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()


@override_settings(ERROR_REGISTRY=background())
def test_the_request_thread_makes_no_query_and_the_writer_stores_the_event(synced, django_assert_num_queries):
    client = Client()
    client.get(ACCOUNT)  # warm the registry
    assert flush_audit()
    with django_assert_num_queries(0):
        response = client.get(ACCOUNT, QUERY_STRING="page=2")
    assert response.status_code == 401

    assert flush_audit(timeout=5)
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert (event.code, event.http_status, event.path, event.query_string) == (
        "not_authenticated", 401, ACCOUNT, "page=2"
    )


@override_settings(ERROR_REGISTRY=background(AUDIT_BATCH_SIZE=50))
def test_every_error_response_becomes_one_row_across_batches(synced):
    client = Client()
    ids = [client.get(MISSING)["X-Request-Id"] for _ in range(120)]
    assert flush_audit(timeout=10)
    stored = list(ErrorEvent.objects.filter(request_id__in=ids).values_list("request_id", flat=True))
    assert sorted(stored) == sorted(ids)


@override_settings(ERROR_REGISTRY=background(AUDIT_BATCH_SIZE=10))
def test_errors_from_many_threads_are_all_stored(synced):
    ids: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        client = Client()
        for _ in range(25):
            request_id = client.get(MISSING)["X-Request-Id"]
            with lock:
                ids.append(request_id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert flush_audit(timeout=10)
    assert ErrorEvent.objects.filter(request_id__in=ids).count() == len(ids) == 100


@override_settings(ERROR_REGISTRY=background(AUDIT_WRITE_TIMEOUT=0.5))
def test_a_locked_audit_table_delays_the_audit_never_the_response(synced, caplog):
    client = Client()
    healthy = client.get(ACCOUNT)
    assert flush_audit()
    answered = []
    with caplog.at_level(logging.INFO, logger="errorregistry"):
        with audit_table_locked():
            for _ in range(10):
                started = time.monotonic()
                response = client.get(ACCOUNT)
                answered.append((time.monotonic() - started, response))
            flush_audit(timeout=10)  # the writer gives up after AUDIT_WRITE_TIMEOUT and logs the batch
        assert flush_audit(timeout=10)
        writer.summary.report(force=True)

    assert max(elapsed for elapsed, _ in answered) < 0.25
    assert all(r.status_code == healthy.status_code and r.content.count(b"not_authenticated") for _, r in answered)
    ids = {r["X-Request-Id"] for _, r in answered}
    stored = set(ErrorEvent.objects.filter(request_id__in=ids).values_list("request_id", flat=True))
    logged = {line["request_id"] for line in audit_lines(caplog)}
    assert stored | logged == ids and not stored & logged  # each event exactly once: stored or logged
    assert logged, "the lock was held for the whole test: the writer must have logged the events"
    # One summary, no traceback per event.
    assert len(summaries(caplog)) == 1
    assert all(r.exc_info is None for r in caplog.records)

    recovered = client.get(ACCOUNT)
    assert flush_audit()
    assert ErrorEvent.objects.filter(request_id=recovered["X-Request-Id"]).exists()


@contextmanager
def audit_table_missing():
    """The audit table is not there (a database the migration never reached)."""
    table = ErrorEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")


@override_settings(ERROR_REGISTRY=background())
def test_a_failing_database_logs_each_event_once_and_says_so_once(synced, caplog):
    client = Client()
    with caplog.at_level(logging.INFO, logger="errorregistry"):
        with audit_table_missing():
            responses = [client.get(MISSING) for _ in range(30)]
            assert flush_audit(timeout=10)
        writer.summary.report(force=True)

    assert [line["request_id"] for line in audit_lines(caplog)] == [r["X-Request-Id"] for r in responses]
    (summary,) = summaries(caplog)
    assert "30 events logged to errorregistry.audit instead of stored" in summary.getMessage()
    assert "Error" in summary.getMessage()  # the database's own reason, in one line
    assert all(r.exc_info is None for r in caplog.records if r.name.startswith("errorregistry"))


@override_settings(ERROR_REGISTRY=background(AUDIT_QUEUE_SIZE=5, AUDIT_BATCH_SIZE=1000, AUDIT_FLUSH_INTERVAL=30))
def test_a_full_queue_logs_the_overflow_instead_of_waiting(synced, caplog):
    client = Client()
    with caplog.at_level(logging.INFO, logger="errorregistry"):
        started = time.monotonic()
        ids = [client.get(MISSING)["X-Request-Id"] for _ in range(8)]
        elapsed = time.monotonic() - started
        assert flush_audit(timeout=10)
        writer.summary.report(force=True)
    assert elapsed < 2
    stored = set(ErrorEvent.objects.filter(request_id__in=ids).values_list("request_id", flat=True))
    logged = [line["request_id"] for line in audit_lines(caplog)]
    assert len(stored) == 5 and logged == ids[5:]
    assert "queue full" in summaries(caplog)[0].getMessage()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="lock_timeout is PostgreSQL's")
@override_settings(ERROR_REGISTRY=background(AUDIT_WRITE_TIMEOUT=3))
def test_flush_reports_false_when_the_writer_cannot_finish_in_time(synced):
    client = Client()
    with audit_table_locked():
        response = client.get(MISSING)
        assert flush_audit(timeout=0.3) is False
    assert flush_audit(timeout=10) is True
    assert ErrorEvent.objects.filter(request_id=response["X-Request-Id"]).exists()


def test_waiting_for_a_flush_does_not_make_the_writer_spin(synced, monkeypatch):
    """Once the last batch is stored, the writer sleeps until the flushing thread has seen it. It
    used to loop instead, holding the GIL, until that thread woke up: up to the interpreter's
    switch interval (5 ms) of CPU for every flush (6.8 ms per request + flush, against 0.9 ms),
    one empty round after another."""
    client = Client()
    empty_rounds = []
    next_batch = writer._next_batch

    def counting_next_batch(me):
        events, floods, stop = next_batch(me)
        if not events and not floods and not stop:
            empty_rounds.append(1)
        return events, floods, stop

    with override_settings(ERROR_REGISTRY=background()):
        client.get(ACCOUNT)
        assert flush_audit()
        monkeypatch.setattr(writer, "_next_batch", counting_next_batch)
        for _ in range(50):
            client.get(ACCOUNT)
            assert flush_audit()
    assert ErrorEvent.objects.count() == 51
    assert len(empty_rounds) <= 2  # an idle timeout of 1 s may fall in the loop; a spin makes hundreds


@override_settings(ERROR_REGISTRY=background(AUDIT_BATCH_SIZE=1000, AUDIT_FLUSH_INTERVAL=30))
def test_a_forked_worker_neither_inherits_nor_rewrites_its_parents_queue(synced):
    client = Client()
    parent_ids = [client.get(MISSING)["X-Request-Id"] for _ in range(3)]  # queued, not yet written
    connections.close_all()  # a forked child must not share the parent's connections
    pid = os.fork()
    if pid == 0:  # the child, like a gunicorn worker forked after --preload
        code = 1
        try:
            inherited = writer._pending
            child_id = Client().get(MISSING)["X-Request-Id"]
            ok = flush_audit(timeout=10) and not inherited and writer._thread is not None
            code = 0 if ok and child_id else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert flush_audit(timeout=10)
    stored = list(ErrorEvent.objects.values_list("request_id", flat=True))
    assert set(parent_ids) <= set(stored)
    assert len(stored) == len(set(stored))  # nothing written twice


@override_settings(ERROR_REGISTRY=background(AUDIT_FLOOD_LIMIT={"rate": 0.001, "burst": 1, "window": 60}))
def test_a_repeat_counted_while_a_flush_waits_is_stored_by_that_flush(synced, monkeypatch):
    """Counting a repeat does not wake the writer (the request thread stays cheap); a flush that
    finds a count still open wakes it, rather than waiting for the writer's 1 s idle timeout."""
    from errorregistry.audit.writer import flood_limit

    client = Client(REMOTE_ADDR="10.0.0.7")
    first = client.get(MISSING)
    flushing_thread = threading.current_thread()
    settled = writer._settled
    armed = [True]

    def settled_after_a_concurrent_repeat(target):
        if threading.current_thread() is flushing_thread and armed[0] and writer._done >= target:
            armed[0] = False
            time.sleep(0.01)  # the writer is back asleep, as the GIL usually arranges
            assert not writer.gate.admit(flood_limit(), "not_found", "10.0.0.7", new_request_id())
        return settled(target)

    monkeypatch.setattr(writer, "_settled", settled_after_a_concurrent_repeat)
    started = time.monotonic()
    assert flush_audit(timeout=5)
    assert time.monotonic() - started < 0.6  # the writer's idle wait is 1 s
    assert ErrorEvent.objects.filter(request_id=first["X-Request-Id"]).exists()
    assert ErrorFlood.objects.get(code="not_found", client_ip="10.0.0.7").count == 1


def test_an_ipv4_mapped_address_is_stored_as_django_stores_it(synced):
    """``::ffff:1.2.3.4`` as GenericIPAddressField writes it, so the admin's lookups find it
    (Python's own text for it before 3.13 is ``::ffff:102:304``)."""
    with override_settings(ERROR_REGISTRY=background()):
        Client(REMOTE_ADDR="::ffff:1.2.3.4").get(ACCOUNT)
        assert flush_audit()
    assert ErrorEvent.objects.filter(client_ip="::ffff:1.2.3.4").count() == 1
    assert ErrorEvent.objects.get().client_ip == "::ffff:1.2.3.4"


@override_settings(ERROR_REGISTRY=background(AUDIT_FLOOD_LIMIT={"rate": 0.001, "burst": 3, "window": 60}))
def test_a_flood_is_counted_not_stored(synced):
    writer.gate.forget()
    client = Client()
    ids = [client.get(MISSING, REMOTE_ADDR="203.0.113.9")["X-Request-Id"] for _ in range(40)]
    other = client.get(MISSING, REMOTE_ADDR="198.51.100.1")["X-Request-Id"]
    assert flush_audit(timeout=10)

    stored = list(ErrorEvent.objects.filter(client_ip="203.0.113.9").order_by("id").values_list("request_id", flat=True))
    assert stored == ids[:3]
    (flood,) = ErrorFlood.objects.all()
    assert (flood.code, flood.client_ip, flood.count) == ("not_found", "203.0.113.9", 37)
    assert (flood.first_request_id, flood.last_request_id) == (ids[3], ids[-1])
    assert ErrorEvent.objects.filter(request_id=other).exists()  # another client is not affected


@override_settings(ERROR_REGISTRY=background(AUDIT_FLOOD_LIMIT={"rate": 0.001, "burst": 1, "window": 60}))
def test_support_finds_what_happened_to_a_suppressed_request_id(synced, admin_client):
    writer.gate.forget()
    client = Client()
    first = client.get(MISSING)["X-Request-Id"]
    suppressed = [client.get(MISSING)["X-Request-Id"] for _ in range(5)]
    assert flush_audit(timeout=10)

    page = admin_client.get("/admin/errorregistry/supportconsole/", {"q": suppressed[2]})
    text = page.content.decode()
    assert page.status_code == 200
    assert "counted, not stored" in text and "not_found" in text and "5 repeats" in text

    event = ErrorEvent.objects.get(request_id=first)
    page = admin_client.get(f"/admin/errorregistry/supportconsole/events/{event.pk}/")
    assert "and 5 similar" in page.content.decode()


def test_an_unminted_or_unknown_id_finds_no_flood(synced, admin_client):
    page = admin_client.get("/admin/errorregistry/supportconsole/", {"q": new_request_id()})
    assert "counted, not stored" not in page.content.decode()


def test_exit_stores_what_is_still_queued(tmp_path):
    """A process that ends normally (gunicorn's SIGTERM, runserver's reload, a command) flushes first."""
    database = tmp_path / "exit.sqlite3"
    script = textwrap.dedent(
        f"""
        import os, django
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        from django.conf import settings
        settings.DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {str(database)!r}}}}}
        settings.ERROR_REGISTRY = dict(settings.ERROR_REGISTRY, AUDIT_MODE="background",
                                       AUDIT_FLUSH_INTERVAL=60, AUDIT_BATCH_SIZE=1000)
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        from django.test import Client
        client = Client()
        for _ in range(7):
            print(client.get("/api/demo/no-such-endpoint/")["X-Request-Id"])
        # no flush: the interpreter exits with the events still queued
        """
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr[-2000:]
    ids = completed.stdout.split()
    with sqlite3.connect(database) as db:
        stored = [row[0] for row in db.execute(f"SELECT request_id FROM {ErrorEvent._meta.db_table}")]
    assert sorted(stored) == sorted(ids) and len(ids) == 7


@override_settings(ERROR_REGISTRY=background())
def test_errors_of_an_asgi_request_are_stored_by_the_writer(synced):
    """Under an ASGI server the middleware runs async; the hand-over to the writer is the same."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def two_failures():
        client = AsyncClient(raise_request_exception=False)
        return [await client.get("/api/demo/async/missing/"), await client.get("/api/demo/async/crash/")]

    missing, crash = async_to_sync(two_failures)()
    assert (missing.status_code, crash.status_code) == (404, 500)
    assert flush_audit(timeout=10)
    stored = dict(
        ErrorEvent.objects.filter(request_id__in=[missing["X-Request-Id"], crash["X-Request-Id"]])
        .values_list("request_id", "code")
    )
    assert stored == {missing["X-Request-Id"]: "not_found", crash["X-Request-Id"]: "internal_error"}
