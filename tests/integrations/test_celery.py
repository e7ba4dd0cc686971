"""Celery: a task started during a request runs, in a real worker, with the request's ID and trace current.

The worker is Celery's own embedded worker (a thread consuming from the broker): on Redis
(db 9 of the REDIS_URL server) in CI's Redis pass, and always on kombu's in-process memory broker.
"""

import logging
import os
from urllib.parse import urlsplit

import pytest
from django.http import JsonResponse
from django.test import Client
from django.urls import include, path

celery = pytest.importorskip("celery", reason="celery is not installed")

from celery.contrib.testing.worker import start_worker  # noqa: E402

from errorregistry.log import RequestIdFilter  # noqa: E402
from errorregistry.request_id import current_request_id  # noqa: E402

# celery's Redis result backend calls a redis-py method deprecated since 2.6: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"

def ids_inside_the_task() -> dict[str, str]:
    """What a log record written inside the task is stamped with."""
    record = logging.LogRecord("task", logging.INFO, __file__, 1, "inside", None, None)
    RequestIdFilter().filter(record)
    return {"request_id": record.request_id, "trace_id": record.trace_id}


# The task of the running worker's app (one app per broker: an app caches its connections).
running: dict[str, object] = {}


def start_task(request):
    return JsonResponse({"task_id": running["task"].delay().id})


urlpatterns = [path("api/celery/start/", start_task), path("", include("project.urls"))]


def redis_broker() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    parts = urlsplit(url)
    return f"redis://{parts.hostname or '127.0.0.1'}:{parts.port or 6379}/9"


BROKERS = [
    pytest.param(("memory://", "cache+memory://"), id="memory"),
    pytest.param(
        (redis_broker(), redis_broker()),
        id="redis",
        marks=pytest.mark.skipif(redis_broker() is None, reason="REDIS_URL is not set: the Redis broker runs in CI's Redis pass"),
    ),
]


@pytest.fixture(scope="module", params=BROKERS)
def running_worker(request, django_db_blocker):
    """One worker per broker for the module: starting one takes seconds. Celery's Django fixup runs
    Django's system checks as the worker starts, and Django 6.1's checks open the database."""
    broker, backend = request.param
    app = celery.Celery("errorregistry_tests", set_as_current=False, broker=broker, backend=backend)
    app.conf.broker_connection_retry_on_startup = False
    running["task"] = app.task(name="tests.ids_inside_the_task")(ids_inside_the_task)
    try:
        with django_db_blocker.unblock(), start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        running.clear()


@pytest.fixture
def worker(running_worker, settings):
    settings.ROOT_URLCONF = __name__
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "CELERY": True}
    return running_worker


@pytest.mark.django_db
def test_a_task_started_in_a_request_runs_with_its_request_id_and_trace(worker):
    response = Client().get("/api/celery/start/", HTTP_TRACEPARENT=TRACEPARENT)

    inside = worker.AsyncResult(response.json()["task_id"]).get(timeout=20)
    assert inside == {"request_id": response["X-Request-Id"], "trace_id": TRACE_ID}


@pytest.mark.django_db
def test_a_task_started_outside_a_request_carries_no_request_id(worker):
    assert current_request_id.get() is None

    inside = running["task"].delay().get(timeout=20)

    assert inside == {"request_id": "-", "trace_id": "-"}


@pytest.mark.django_db
def test_without_the_setting_the_task_carries_nothing(worker, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "CELERY": False}

    response = Client().get("/api/celery/start/", HTTP_TRACEPARENT=TRACEPARENT)

    assert worker.AsyncResult(response.json()["task_id"]).get(timeout=20)["request_id"] == "-"
