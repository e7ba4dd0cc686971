"""Sentry: real sentry-sdk with its Django integration, events caught by a capturing transport (no network).

Requests go through Django's WSGI handler, as in production: Sentry forks an isolation scope
per request there, and the scope carries the request ID and, on an error, the registry code, so
every event of the request (its transaction too, finished after the middleware returned) has them.
"""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import JsonResponse
from django.urls import include, path

sentry_sdk = pytest.importorskip("sentry_sdk", reason="sentry-sdk is not installed")

from sentry_sdk.integrations.django import DjangoIntegration  # noqa: E402
from sentry_sdk.transport import Transport  # noqa: E402

from errorregistry.integrations.sentry import CODE_TAG, REQUEST_ID_TAG  # noqa: E402


def capture_a_message(request):
    sentry_sdk.capture_message("something worth a look")
    return JsonResponse({"ok": True})


urlpatterns = [path("api/sentry/message/", capture_a_message), path("", include("project.urls"))]


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope):
        event = envelope.get_event() or envelope.get_transaction_event()
        if event is not None:
            self.events.append(event)


@pytest.fixture
def sentry_events(settings):
    settings.ROOT_URLCONF = __name__
    transport = CapturingTransport()
    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=transport,
        integrations=[DjangoIntegration()],
        default_integrations=False,
    )
    try:
        yield transport.events
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


def wsgi_get(path: str) -> dict[str, str]:
    """One GET through Django's WSGI handler (where Sentry's Django integration hooks in); its headers."""
    from django.core.wsgi import get_wsgi_application

    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO()}
    setup_testing_defaults(environ)
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(headers, status=status)

    # As Django's test client does: the test's transaction must survive the end of the request.
    request_finished.disconnect(close_old_connections)
    try:
        result = get_wsgi_application()(environ, start_response)
        b"".join(result)
        result.close()
    finally:
        request_finished.connect(close_old_connections)
    return started


def exception_events(events: list[dict]) -> list[dict]:
    return [event for event in events if event.get("exception")]


@pytest.mark.django_db
@pytest.mark.parametrize("path, raised", [("/api/demo/crash/", "RuntimeError"), ("/api/demo/plain/crash/", "ValueError")])
def test_sentrys_event_for_a_crash_carries_the_request_id_and_the_registry_code(sentry_events, path, raised):
    response = wsgi_get(path)

    assert response["status"].startswith("500")
    [event] = exception_events(sentry_events)
    assert event["exception"]["values"][-1]["type"] == raised
    assert event["tags"][REQUEST_ID_TAG] == response["X-Request-Id"]
    assert event["tags"][CODE_TAG] == "internal_error"


@pytest.mark.django_db
def test_every_request_scope_carries_its_request_id_and_no_earlier_requests_code(sentry_events):
    wsgi_get("/api/demo/crash/")

    response = wsgi_get("/api/sentry/message/")

    message = [event for event in sentry_events if event.get("message") == "something worth a look"]
    assert len(message) == 1
    assert message[0]["tags"][REQUEST_ID_TAG] == response["X-Request-Id"]
    assert CODE_TAG not in message[0]["tags"]  # the crash's tag stayed in the crash's scope


@pytest.fixture
def sentry_transactions(settings):
    """Sentry's tracing on: every request sends a transaction, finished once the response is complete."""
    settings.ROOT_URLCONF = __name__
    transport = CapturingTransport()
    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1", transport=transport, integrations=[DjangoIntegration()],
        default_integrations=False, traces_sample_rate=1.0,
    )
    try:
        yield transport.events
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


@pytest.mark.django_db
def test_the_transaction_of_a_client_error_carries_its_request_id_and_code(sentry_transactions):
    response = wsgi_get("/api/demo/account/")

    assert response["status"].startswith("401")
    [transaction] = [event for event in sentry_transactions if event.get("type") == "transaction"]
    assert transaction["tags"][REQUEST_ID_TAG] == response["X-Request-Id"]
    assert transaction["tags"][CODE_TAG] == "not_authenticated"


@pytest.fixture
def sentry_events_without_django_integration(settings):
    """Sentry initialised by hand, without its Django integration: one scope for every request."""
    settings.ROOT_URLCONF = __name__
    transport = CapturingTransport()
    sentry_sdk.init(dsn="https://public@sentry.invalid/1", transport=transport, default_integrations=False)
    try:
        yield transport.events
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
        sentry_sdk.get_isolation_scope().clear()  # the test thread's scope, tagged by these requests


@pytest.mark.django_db
def test_on_a_scope_shared_by_requests_an_event_carries_its_own_request_id_and_no_earlier_code(
    sentry_events_without_django_integration,
):
    failed = wsgi_get("/api/demo/account/")  # a 401: the code is tagged on the (shared) scope

    response = wsgi_get("/api/sentry/message/")

    assert failed["status"].startswith("401")
    [message] = [e for e in sentry_events_without_django_integration if e.get("message") == "something worth a look"]
    assert message["tags"][REQUEST_ID_TAG] == response["X-Request-Id"] != failed["X-Request-Id"]
    assert CODE_TAG not in message["tags"]

