"""Faults around the app: the audit database, the shared cache and the registry table fail; nothing leaks.

Each fault is produced as close to the real thing as the test database allows:
a database alias on a closed port (connection refused), a read-only
transaction, errors raised by the database layer itself (locked, read-only,
refused), a cache that raises, a Redis on a closed port, a Redis that never
answers, and a registry table that cannot be read.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.base import BaseCache
from django.db import InternalError, OperationalError, ProgrammingError, connection, connections, transaction
from django.test import Client, override_settings
from django.urls import include, path
from rest_framework.decorators import api_view

from errorregistry import ApiError
from errorregistry.registry.declarations import declared_codes
from errorregistry.models import ErrorCode, ErrorEvent
from errorregistry.registry.store import registry
from tests.factories import ErrorCodeFactory


@api_view(["GET"])
def delete_then_raise(request, code: str):
    """An admin deletes the code while this request is in flight."""
    ErrorCode.objects.filter(code=code).delete()
    raise ApiError(code)


urlpatterns = [
    path("api/faults/delete-then-raise/<str:code>/", delete_then_raise),
    path("", include(django_settings.ROOT_URLCONF)),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

ACCOUNT = "/api/demo/account/"  # 401 not_authenticated for an anonymous client
SECRETS = ("hunter2", "s3cr3t")


def configured(**options) -> dict:
    return dict(django_settings.ERROR_REGISTRY, **options)


def normalized(response) -> tuple:
    """Status, body and headers with this response's request ID blanked out."""
    request_id = response["X-Request-Id"]
    headers = sorted((name, value.replace(request_id, "<id>")) for name, value in response.items())
    return response.status_code, response.content.replace(request_id.encode(), b"<id>"), headers


def audit_lines(caplog) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "errorregistry.audit"]


# -- the audit database fails ---------------------------------------------------------------


@contextmanager
def failing_event_inserts(error: Exception):
    """The database layer refuses every INSERT into the audit table with ``error``."""

    def refuse(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and ErrorEvent._meta.db_table in sql:
            raise error
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


@contextmanager
def read_only_database():
    """A really read-only database: PostgreSQL's read-only transaction, SQLite's query_only pragma."""
    if connection.vendor == "postgresql":
        with transaction.atomic():  # a savepoint: rolling it back makes the transaction writable again
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
            yield
            transaction.set_rollback(True)
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = ON")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA query_only = OFF")


@contextmanager
def unreachable_alias():
    """An extra alias whose server refuses connections (a PostgreSQL port nothing listens on)."""
    alias = "audit_unreachable"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    connections.settings[alias] = dict(
        connections.settings["default"],
        ENGINE="django.db.backends.postgresql",
        NAME="audit",
        USER="audit",
        PASSWORD="",
        HOST="127.0.0.1",
        PORT=str(closed_port),
        OPTIONS={"connect_timeout": 2},
    )
    try:
        yield alias
    finally:
        connections[alias].close()
        if hasattr(connections._connections, alias):
            delattr(connections._connections, alias)
        del connections.settings[alias]


@pytest.fixture
def unreachable_audit_database():
    with unreachable_alias() as alias:
        yield alias


FAULTS = {
    "connection refused": lambda: failing_event_inserts(
        OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    ),
    "table locked": lambda: failing_event_inserts(OperationalError("database is locked")),
    "read-only (error)": lambda: failing_event_inserts(
        InternalError("cannot execute INSERT in a read-only transaction")
    ),
    "read-only (real)": read_only_database,
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_audit_database_failure_leaves_the_response_unchanged_and_logs_the_event(synced, caplog, fault):
    client = Client()
    healthy = client.get(ACCOUNT, headers={"Accept-Language": "fr"})
    with caplog.at_level(logging.INFO, logger="errorregistry.audit"):
        with FAULTS[fault]():
            failed = [client.get(ACCOUNT, headers={"Accept-Language": "fr"}) for _ in range(3)]

    for response in failed:  # the process keeps serving, byte for byte the same answer
        assert normalized(response) == normalized(healthy)
    logged = audit_lines(caplog)
    assert [line["request_id"] for line in logged] == [response["X-Request-Id"] for response in failed]
    assert all(line["code"] == "not_authenticated" and line["http_status"] == 401 for line in logged)
    assert not ErrorEvent.objects.filter(request_id__in=[r["X-Request-Id"] for r in failed]).exists()

    recovered = client.get(ACCOUNT)
    assert ErrorEvent.objects.filter(request_id=recovered["X-Request-Id"]).exists()


def test_unreachable_audit_database_alias_logs_the_event_and_recovers(synced, caplog, unreachable_audit_database):
    client = Client()
    healthy = client.get(ACCOUNT)
    with override_settings(ERROR_REGISTRY=configured(AUDIT_DATABASE=unreachable_audit_database)):
        with caplog.at_level(logging.INFO, logger="errorregistry.audit"):
            started = time.monotonic()
            failed = client.get(ACCOUNT)
            elapsed = time.monotonic() - started
    assert normalized(failed) == normalized(healthy)
    assert elapsed < 3
    (line,) = audit_lines(caplog)
    assert line["request_id"] == failed["X-Request-Id"]

    back = client.get(ACCOUNT)  # AUDIT_DATABASE pointed back at a working database
    assert ErrorEvent.objects.filter(request_id=back["X-Request-Id"]).exists()


def test_audit_log_line_is_one_line_of_json_even_for_hostile_input(synced, caplog):
    with caplog.at_level(logging.INFO, logger="errorregistry.audit"):
        with failing_event_inserts(OperationalError("database is locked")):
            response = Client().get(ACCOUNT + "?q=%0A%0D{}", headers={"User-Agent": "evil\r\nInjected: line"})
    (record,) = [r for r in caplog.records if r.name == "errorregistry.audit"]
    message = record.getMessage()
    assert "\n" not in message and "\r" not in message
    assert json.loads(message)["request_id"] == response["X-Request-Id"]


# -- the shared cache is down or slow -------------------------------------------------------


class ExplodingCache(BaseCache):
    """A cache backend whose server is gone: every call raises."""

    calls = 0

    def __init__(self, location, params):
        super().__init__(params)

    def _fail(self, *args, **kwargs):
        type(self).calls += 1
        raise ConnectionError("Error 111 connecting to cache:6379. Connection refused.")

    add = get = set = touch = delete = clear = has_key = get_many = set_many = delete_many = _fail


class SlowCache(BaseCache):
    """A cache that answers, but takes its time: each call costs ``DELAY`` seconds."""

    DELAY = 0.3
    calls = 0

    def __init__(self, location, params):
        super().__init__(params)
        self._data: dict = {}

    def _slow(self):
        type(self).calls += 1
        time.sleep(self.DELAY)

    def add(self, key, value, timeout=None, version=None):
        self._slow()
        return self._data.setdefault(key, value) == value

    def get(self, key, default=None, version=None):
        self._slow()
        return self._data.get(key, default)

    def set(self, key, value, timeout=None, version=None):
        self._slow()
        self._data[key] = value

    def delete(self, key, version=None):
        self._slow()
        return self._data.pop(key, None) is not None

    def clear(self):
        self._data.clear()


@pytest.fixture
def silent_redis():
    """A TCP server on loopback that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_cache(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def timed_requests(count: int, path: str = ACCOUNT) -> tuple[list, list[float]]:
    client = Client(raise_request_exception=False)
    responses, durations = [], []
    for _ in range(count):
        started = time.monotonic()
        responses.append(client.get(path))
        durations.append(time.monotonic() - started)
    return responses, durations


@pytest.mark.parametrize(
    "caches",
    [
        pytest.param(lambda url: {"default": {"BACKEND": "tests.test_faults.ExplodingCache"}}, id="backend raises"),
        pytest.param(lambda url: redis_cache(f"redis://127.0.0.1:{closed_port()}/0"), id="redis refused"),
        pytest.param(lambda url: redis_cache(url), id="redis never answers"),
    ],
)
def test_cache_down_errors_still_render_from_the_in_process_registry(synced, silent_redis, caches):
    row = ErrorCode.objects.get(code="not_authenticated")
    row.message = "Log in first (edited by an admin)."
    row.save()
    with override_settings(CACHES=caches(silent_redis), ERROR_REGISTRY=configured(RELOAD_INTERVAL=1.0)):
        responses, durations = timed_requests(6)
    for response in responses:
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "Log in first (edited by an admin)."
    assert max(durations) < 1.5, durations  # one bounded timeout at most, never a multi-second stall
    assert sum(durations) < 3, durations
    for response in responses:
        assert ErrorEvent.objects.filter(request_id=response["X-Request-Id"]).exists()


def test_slow_cache_is_consulted_at_most_once_per_reload_interval(synced):
    SlowCache.calls = 0
    with override_settings(
        CACHES={"default": {"BACKEND": "tests.test_faults.SlowCache"}}, ERROR_REGISTRY=configured(RELOAD_INTERVAL=1.0)
    ):
        started = time.monotonic()
        responses, durations = timed_requests(30)
        elapsed = time.monotonic() - started
    assert all(response.status_code == 401 for response in responses)
    version_checks_allowed = int(elapsed / 1.0) + 1
    assert SlowCache.calls <= 3 * version_checks_allowed  # get, add, get when the stamp is first created
    assert sorted(durations)[len(durations) // 2] < SlowCache.DELAY  # the typical request never waits


# -- the registry table is empty, loses a code mid-flight, or was never synced ---------------


def test_never_synced_registry_answers_from_the_declarations(api_client):
    assert not ErrorCode.objects.exists()
    response = api_client.get(ACCOUNT)
    declared = declared_codes()["not_authenticated"]
    assert (response.status_code, response.json()["error"]["message"]) == (declared.http_status, declared.message)
    assert ErrorEvent.objects.filter(request_id=response["X-Request-Id"], code="not_authenticated").exists()


def test_emptied_registry_table_falls_back_to_the_declarations(synced, api_client):
    row = ErrorCode.objects.get(code="not_authenticated")
    row.http_status, row.message = 403, "Edited."
    row.save()
    assert api_client.get(ACCOUNT).status_code == 403
    for row in ErrorCode.objects.all():
        row.delete()  # one by one, as the admin's delete action does, each publishing a new version
    response = api_client.get(ACCOUNT)
    assert (response.status_code, response.json()["error"]["message"]) == (
        401,
        "Authentication credentials were not provided.",
    )


def test_declared_code_deleted_mid_flight_answers_with_its_declaration(synced, api_client):
    row = ErrorCode.objects.get(code="payment_required")
    row.http_status, row.message = 409, "Edited by an admin."
    row.save()
    assert registry.get("payment_required").http_status == 409  # warm before the request starts
    response = api_client.get("/api/faults/delete-then-raise/payment_required/")
    body = response.json()["error"]
    assert (response.status_code, body["code"]) == (402, "payment_required")
    assert body["message"] == "Payment is required to proceed."
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert not event.unknown_code


def test_database_only_code_deleted_mid_flight_gets_the_internal_error_fallback(synced, api_client):
    ErrorCodeFactory(code="flash_sale_over", http_status=410, message="The sale is over.")
    assert registry.get("flash_sale_over").http_status == 410
    response = api_client.get("/api/faults/delete-then-raise/flash_sale_over/")
    body = response.json()["error"]
    assert (response.status_code, body["code"]) == (500, "flash_sale_over")
    assert body["message"] == "An unexpected error occurred."
    assert ErrorEvent.objects.get(request_id=response["X-Request-Id"]).unknown_code


def test_unreadable_registry_table_answers_from_the_declarations(synced, api_client):
    def refuse(execute, sql, params, many, context):
        if ErrorCode._meta.db_table in sql and sql.lstrip().upper().startswith("SELECT"):
            raise ProgrammingError(f'relation "{ErrorCode._meta.db_table}" does not exist')
        return execute(sql, params, many, context)

    registry.invalidate()
    with connection.execute_wrapper(refuse):
        response = api_client.get(ACCOUNT)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Authentication credentials were not provided."


# -- no secret leaks ---------------------------------------------------------------------------


def app_log_text(caplog) -> str:
    """Everything the app's own loggers wrote: messages, arguments and any attached traceback."""
    formatter = logging.Formatter()
    parts = []
    for record in caplog.records:
        if record.name == "errorregistry" or record.name.startswith("errorregistry."):
            parts.append(record.getMessage())
            if record.exc_info:
                parts.append(formatter.formatException(record.exc_info))
    return "\n".join(parts)


@pytest.mark.parametrize("path", ["/api/demo/crash/", "/api/demo/plain/crash/"])
@pytest.mark.parametrize("audit_fails", [False, True], ids=["audit ok", "audit fails"])
def test_secret_in_an_exception_reaches_only_the_audit_traceback(synced, caplog, settings, path, audit_fails):
    # LOG_TRACEBACKS = False: the team keeps tracebacks in the audit only (the default logs them as Django does).
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "LOG_TRACEBACKS": False}
    caplog.set_level(logging.DEBUG)
    if audit_fails:
        with failing_event_inserts(OperationalError("database is locked")):
            response = Client(raise_request_exception=False).get(path)
    else:
        response = Client(raise_request_exception=False).get(path)

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    exposed = response.content.decode() + "\n".join(f"{k}: {v}" for k, v in response.items())
    logged = app_log_text(caplog)
    if path == "/api/demo/crash/":  # a DRF view: the handler logs it (Django's handler logs plain views)
        assert "Internal error builtins.RuntimeError" in logged and response["X-Request-Id"] in logged
    for secret in SECRETS:
        assert secret not in exposed
        assert secret not in logged
    event = ErrorEvent.objects.filter(request_id=response["X-Request-Id"]).first()
    if audit_fails:
        assert event is None and audit_lines(caplog)  # logged as JSON, without the traceback
    else:
        assert any(secret in event.traceback for secret in SECRETS)
        assert all(secret not in event.message + json.dumps(event.details) for secret in SECRETS)
