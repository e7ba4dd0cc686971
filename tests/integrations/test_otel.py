"""OpenTelemetry: real requests through opentelemetry-instrumentation-django, spans read back from the SDK's
in-memory exporter. The error response's server span names the registry code, the status and the request ID."""

import pytest

otel_sdk = pytest.importorskip("opentelemetry.sdk.trace", reason="opentelemetry-sdk is not installed")
pytest.importorskip("opentelemetry.instrumentation.django", reason="opentelemetry-instrumentation-django is not installed")

from opentelemetry.instrumentation.django import DjangoInstrumentor  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode, format_span_id, format_trace_id  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from errorregistry.integrations.otel import REQUEST_ID_ATTRIBUTE  # noqa: E402
from errorregistry.models import ErrorEvent  # noqa: E402

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def exporter(settings):
    settings.MIDDLEWARE = list(settings.MIDDLEWARE)  # the instrumentor inserts its middleware; restored after
    exporter = InMemorySpanExporter()
    provider = otel_sdk.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    DjangoInstrumentor().instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        DjangoInstrumentor().uninstrument()


def server_span(exporter):
    spans = [span for span in exporter.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert len(spans) == 1, spans
    return spans[0]


@pytest.fixture
def client():
    return APIClient(raise_request_exception=False)


@pytest.mark.django_db
def test_a_4xx_marks_the_server_span_with_code_status_and_request_id_but_not_as_failed(exporter, client):
    response = client.get("/api/demo/account/")

    span = server_span(exporter)
    assert span.attributes["error.type"] == "not_authenticated"
    assert span.attributes["http.response.status_code"] == response.status_code == 401
    assert span.attributes[REQUEST_ID_ATTRIBUTE] == response["X-Request-Id"]
    assert span.status.status_code == StatusCode.UNSET
    assert not [event for event in span.events if event.name == "exception"]


@pytest.mark.django_db
def test_an_unexpected_5xx_sets_the_span_status_to_error_and_records_the_exception(exporter, client):
    response = client.get("/api/demo/crash/")

    span = server_span(exporter)
    assert response.status_code == 500
    assert span.attributes["error.type"] == "internal_error"
    assert span.attributes[REQUEST_ID_ATTRIBUTE] == response["X-Request-Id"]
    assert span.status.status_code == StatusCode.ERROR
    exceptions = [event for event in span.events if event.name == "exception"]
    assert len(exceptions) == 1
    assert exceptions[0].attributes["exception.type"] == "RuntimeError"


@pytest.mark.django_db
def test_a_plain_django_views_crash_is_marked_too(exporter, client):
    response = client.get("/api/demo/plain/crash/")

    span = server_span(exporter)
    assert response.json()["error"]["code"] == span.attributes["error.type"] == "internal_error"
    assert span.status.status_code == StatusCode.ERROR
    assert any(event.attributes.get("exception.type") == "ValueError" for event in span.events)


@pytest.mark.django_db
def test_a_deliberate_503_is_an_error_span_with_its_own_code(exporter, client):
    response = client.get("/api/demo/errors/service_unavailable/")

    span = server_span(exporter)
    assert response.status_code == 503
    assert span.attributes["error.type"] == "service_unavailable"
    assert span.status.status_code == StatusCode.ERROR


@pytest.mark.django_db
def test_a_success_leaves_the_span_alone(exporter, client):
    client.get("/api/demo/health/")

    span = server_span(exporter)
    assert "error.type" not in span.attributes
    assert REQUEST_ID_ATTRIBUTE not in span.attributes


@pytest.mark.django_db
def test_the_audit_event_stores_the_server_spans_trace_and_span(exporter, client):
    response = client.get("/api/demo/account/", HTTP_TRACEPARENT=TRACEPARENT)

    span = server_span(exporter)
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert format_trace_id(span.context.trace_id) == event.trace_id == TRACE_ID  # the client's trace, continued
    assert event.span_id == format_span_id(span.context.span_id)  # our server span, not the client's
