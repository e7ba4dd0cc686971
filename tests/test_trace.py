"""W3C Trace Context: the trace of a request on its audit event, the support event page and search, and its logs."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from errorregistry.log import RequestIdFilter
from errorregistry.models import ErrorEvent
from errorregistry.trace import TraceContext, parse_traceparent
from tests.factories import ErrorEventFactory

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"
SEARCH_URL = "/admin/errorregistry/supportconsole/"


@pytest.mark.parametrize(
    "value",
    [TRACEPARENT, f"00-{TRACE_ID}-{SPAN_ID}-00", f"01-{TRACE_ID}-{SPAN_ID}-01-future-fields", f" {TRACEPARENT} "],
)
def test_a_valid_traceparent_gives_its_trace_and_parent_span(value):
    assert parse_traceparent(value) == TraceContext(TRACE_ID, SPAN_ID)


MALFORMED = [
    "",
    "garbage",
    f"00-{TRACE_ID.upper()}-{SPAN_ID}-01",  # the specification's hex is lowercase
    f"00-{'0' * 32}-{SPAN_ID}-01",  # all-zero trace ID
    f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero parent ID
    f"ff-{TRACE_ID}-{SPAN_ID}-01",  # version ff is forbidden
    f"00-{TRACE_ID}-{SPAN_ID}-01-extra",  # version 00 has exactly four fields
    f"00-{TRACE_ID[:-1]}-{SPAN_ID}-01",
    f"00-{TRACE_ID}-{SPAN_ID}-1",
    f"00_{TRACE_ID}_{SPAN_ID}_01",
    f"00-{TRACE_ID}-{SPAN_ID}-01\n",
    "00-" + "a" * 5000,
]


@pytest.mark.parametrize("value", MALFORMED)
def test_a_malformed_traceparent_is_not_a_trace(value):
    assert parse_traceparent(value) is None


@pytest.mark.django_db
def test_the_audit_event_stores_the_trace_of_the_requests_traceparent(api_client):
    response = api_client.get("/api/demo/account/", HTTP_TRACEPARENT=TRACEPARENT)

    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert (event.trace_id, event.span_id) == (TRACE_ID, SPAN_ID)


@pytest.mark.django_db
@pytest.mark.parametrize("value", [v for v in MALFORMED if "\n" not in v])
def test_a_malformed_traceparent_is_ignored_never_an_error(api_client, value):
    failed = api_client.get("/api/demo/account/", HTTP_TRACEPARENT=value)
    ok = api_client.get("/api/demo/health/", HTTP_TRACEPARENT=value)

    assert ok.status_code == 200
    assert failed.json()["error"]["code"] == "not_authenticated"
    event = ErrorEvent.objects.get(request_id=failed["X-Request-Id"])
    assert (event.trace_id, event.span_id) == ("", "")


@pytest.mark.django_db
def test_a_request_without_traceparent_stores_no_trace(api_client):
    response = api_client.get("/api/demo/account/")

    assert ErrorEvent.objects.get(request_id=response["X-Request-Id"]).trace_id == ""


# -- support ----------------------------------------------------------------------------


def event_page(client: Client, event: ErrorEvent) -> str:
    response = client.get(reverse("admin:errorregistry_support_event", args=[event.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_event_page_links_to_the_trace_from_trace_url(support_client, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "TRACE_URL": "https://tracing.example.com/trace/{trace_id}?span={span_id}"}
    event = ErrorEventFactory(trace_id=TRACE_ID, span_id=SPAN_ID)

    page = event_page(support_client, event)

    assert (
        f'<a id="support-trace-link" href="https://tracing.example.com/trace/{TRACE_ID}?span={SPAN_ID}" '
        f'rel="noopener noreferrer">{TRACE_ID}</a>'
    ) in page
    assert f"span {SPAN_ID}" in page


@pytest.mark.django_db
def test_the_trace_link_is_escaped(support_client, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "TRACE_URL": 'https://t.example/?a="><script>x</script>&t={trace_id}'}
    event = ErrorEventFactory(trace_id=TRACE_ID, span_id=SPAN_ID)

    page = event_page(support_client, event)

    assert "<script>x</script>" not in page
    assert f'href="https://t.example/?a=&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;t={TRACE_ID}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("template", [None, "javascript:alert('{trace_id}')", "//tracing.example.com/{trace_id}"])
def test_without_an_http_trace_url_the_trace_id_is_shown_as_text(support_client, settings, template):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "TRACE_URL": template}
    event = ErrorEventFactory(trace_id=TRACE_ID, span_id=SPAN_ID)

    page = event_page(support_client, event)

    assert f'<span id="support-trace-id">{TRACE_ID}</span>' in page
    assert "support-trace-link" not in page
    assert "javascript:" not in page


@pytest.mark.django_db
def test_an_event_without_a_trace_shows_no_trace_row(support_client, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "TRACE_URL": "https://tracing.example.com/trace/{trace_id}"}

    page = event_page(support_client, ErrorEventFactory())

    assert "support-trace" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("pasted", [TRACE_ID, TRACE_ID.upper(), f"  {TRACEPARENT} ", f"'{TRACE_ID}'"])
def test_support_finds_every_event_of_a_trace(support_client, pasted):
    first = ErrorEventFactory(trace_id=TRACE_ID, span_id=SPAN_ID)
    second = ErrorEventFactory(trace_id=TRACE_ID, span_id="1111111111111111")
    ErrorEventFactory(trace_id="f" * 32)

    response = support_client.get(SEARCH_URL, {"q": pasted})

    assert response.status_code == 200
    page = response.content.decode()
    assert first.request_id in page and second.request_id in page
    assert page.count('class="support-badge trace"') == 2
    assert "support-client-supplied" not in page


@pytest.mark.django_db
def test_one_event_found_by_trace_id_is_listed_not_opened(support_client):
    """A trace ID may come from the client's traceparent: like a client ID, it never opens an event alone."""
    event = ErrorEventFactory(trace_id=TRACE_ID, span_id=SPAN_ID)

    response = support_client.get(SEARCH_URL, {"q": TRACE_ID})

    assert response.status_code == 200
    assert event.request_id in response.content.decode()


@pytest.mark.django_db
def test_a_client_id_of_32_hex_digits_is_still_found_when_no_trace_has_it(support_client):
    event = ErrorEventFactory(client_request_id=TRACE_ID)

    response = support_client.get(SEARCH_URL, {"q": TRACE_ID})

    assert event.request_id in response.content.decode()
    assert "support-client-supplied" in response.content.decode()


@pytest.mark.django_db
def test_a_request_traced_end_to_end_is_found_by_its_trace_id(api_client, support_client):
    response = api_client.get("/api/demo/account/", HTTP_TRACEPARENT=TRACEPARENT)

    found = support_client.get(SEARCH_URL, {"q": TRACE_ID})

    assert response["X-Request-Id"] in found.content.decode()


# -- logs -------------------------------------------------------------------------------


class Captured(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/demo/crash/", "/api/demo/plain/crash/"])
def test_log_records_of_a_traced_request_carry_its_request_and_trace_ids(api_client, path):
    handler = Captured()
    logger = logging.getLogger()
    logger.addHandler(handler)
    try:
        response = api_client.get(path, HTTP_TRACEPARENT=TRACEPARENT)
    finally:
        logger.removeHandler(handler)

    assert response.status_code == 500
    assert handler.records
    for record in handler.records:
        assert record.request_id == response["X-Request-Id"]
        assert (record.trace_id, record.span_id) == (TRACE_ID, SPAN_ID)


def test_log_records_outside_a_request_get_dashes():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)

    RequestIdFilter().filter(record)

    assert (record.request_id, record.trace_id, record.span_id) == ("-", "-", "-")
