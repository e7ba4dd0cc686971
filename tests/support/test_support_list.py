"""The support console's one list of errors: every filter, the chart and top codes beside it, the CSV export."""

import csv
import io
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from errorregistry.support import export as support_export
from tests.factories import ErrorEventFactory

pytestmark = pytest.mark.django_db



def events_url(**params: str) -> str:
    return reverse("admin:errorregistry_support_events") + ("?" + urlencode(params) if params else "")


def export_url(**params: str) -> str:
    return reverse("admin:errorregistry_support_export") + ("?" + urlencode(params) if params else "")


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [event.request_id for event in response.context["page"].events]


def exported(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# -- filters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value", "wanted", "other"),
    [
        ("path", "/api/v1/orders/", {"path": "/api/v1/orders/12/"}, {"path": "/api/v1/invoices/12/"}),
        ("method", "DELETE", {"method": "DELETE"}, {"method": "GET"}),
        ("language", "fr", {"language": "fr"}, {"language": "en"}),
        ("client_id", "mobile-7", {"client_request_id": "mobile-7"}, {"client_request_id": "mobile-70"}),
        ("view", "api:orders", {"view_name": "api:orders-detail"}, {"view_name": "api:invoices-list"}),
        ("user", "42", {"user_id": "42"}, {"user_id": "420"}),
        ("status", "404", {"http_status": 404}, {"http_status": 400}),
        ("status", "5xx", {"http_status": 503}, {"http_status": 404}),
        ("code", "not_found", {"code": "not_found"}, {"code": "throttled"}),
    ],
)
def test_each_filter_narrows_the_list_and_the_export(param, value, wanted, other, support_client):
    match = ErrorEventFactory(**wanted)
    ErrorEventFactory(**other)

    assert listed(support_client.get(events_url(**{param: value}))) == [match.request_id]
    assert [row["request_id"] for row in exported(support_client.get(export_url(**{param: value})))] == [match.request_id]


def test_filters_by_a_from_until_time_range(support_client):
    now = timezone.now().replace(second=0, microsecond=0)
    inside = ErrorEventFactory(created_at=now - timedelta(hours=3))
    ErrorEventFactory(created_at=now - timedelta(hours=6))
    ErrorEventFactory(created_at=now - timedelta(minutes=30))
    start = (now - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    end = (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")

    assert listed(support_client.get(events_url(start=start, end=end))) == [inside.request_id]


def test_an_empty_time_range_is_refused_with_a_message(support_client):
    response = support_client.get(events_url(start="2026-01-02T00:00", end="2026-01-01T00:00"))

    assert "“From” must be before “Until”." in response.content.decode()
    assert response.context["page"].events == []


def test_the_code_filter_suggests_registry_codes(support_client, synced):
    text = support_client.get(events_url()).content.decode()

    assert 'list="support-known-codes"' in text
    assert '<option value="insufficient_credits">' in text


def test_filters_combine(support_client):
    match = ErrorEventFactory(method="POST", language="fr", path="/api/x/")
    ErrorEventFactory(method="POST", language="en", path="/api/x/")
    ErrorEventFactory(method="GET", language="fr", path="/api/x/")

    assert listed(support_client.get(events_url(method="POST", language="fr", path="/api/"))) == [match.request_id]


# -- chart and top codes on the same page --------------------------------------------


def test_the_chart_and_top_codes_sit_above_the_list(support_client):
    ErrorEventFactory(code="not_found")

    response = support_client.get(events_url())
    text = response.content.decode()

    assert str(response.context["svg"]).startswith("<svg")
    assert 'id="support-trends"' in text
    assert text.index('id="support-trends"') < text.index('class="support-events"')


def test_top_codes_show_new_and_rising_codes_against_the_previous_window(support_client):
    now = timezone.now()
    ErrorEventFactory.create_batch(4, code="rising", created_at=now - timedelta(minutes=5))
    ErrorEventFactory.create_batch(2, code="rising", created_at=now - timedelta(hours=30))
    ErrorEventFactory.create_batch(1, code="falling", created_at=now - timedelta(minutes=5))
    ErrorEventFactory.create_batch(3, code="falling", created_at=now - timedelta(hours=30))
    ErrorEventFactory(code="brand_new", created_at=now - timedelta(minutes=5))

    trends = {trend.code: trend for trend, _url in support_client.get(events_url(window="24h")).context["trends"]}

    assert (trends["rising"].count, trends["rising"].previous, trends["rising"].change_percent) == (4, 2, 100)
    assert (trends["falling"].count, trends["falling"].previous, trends["falling"].change) == (1, 3, -2)
    assert trends["brand_new"].is_new


def test_top_codes_render_the_change_for_people(support_client):
    now = timezone.now()
    ErrorEventFactory.create_batch(3, code="rising", created_at=now - timedelta(minutes=5))
    ErrorEventFactory(code="rising", created_at=now - timedelta(hours=30))
    ErrorEventFactory(code="brand_new", created_at=now - timedelta(minutes=5))

    text = support_client.get(events_url(window="24h")).content.decode()

    assert '<span class="support-up">+2 (+200%)</span>' in text
    assert '<span class="support-new">new</span>' in text


def test_the_chart_follows_the_filters_but_keeps_its_own_window(support_client):
    ErrorEventFactory(code="on_orders", path="/api/orders/1/")
    ErrorEventFactory(code="on_invoices", path="/api/invoices/1/")

    svg = str(support_client.get(events_url(path="/api/orders/")).context["svg"])

    assert 'data-code="on_orders"' in svg
    assert "on_invoices" not in svg


def test_the_last_hour_filter_draws_the_chart_by_minute(support_client):
    ErrorEventFactory()

    response = support_client.get(events_url(since="1h"))

    assert response.context["window_key"] == "1h"
    assert len(response.context["chart"].buckets) == 60


def test_a_top_code_links_to_the_list_narrowed_to_it(support_client):
    ErrorEventFactory(code="not_found", method="GET")

    trends = support_client.get(events_url(method="GET")).context["trends"]

    assert trends[0][1] == events_url(method="GET", code="not_found")


# -- CSV export ------------------------------------------------------------------------


def test_export_is_a_streamed_csv_attachment_newest_first(support_client):
    now = timezone.now()
    old = ErrorEventFactory(created_at=now - timedelta(minutes=5), details={"balance": 3})
    new = ErrorEventFactory(created_at=now)

    response = support_client.get(export_url())

    assert response["Content-Disposition"].startswith('attachment; filename="errors-')
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    rows = exported(response)
    assert [row["request_id"] for row in rows] == [new.request_id, old.request_id]
    assert rows[1]["details"] == '{"balance": 3}'
    assert rows[0]["created_at"].endswith("+00:00")


def test_export_is_bounded(monkeypatch, support_client):
    monkeypatch.setattr(support_export, "EXPORT_LIMIT", 3)
    ErrorEventFactory.create_batch(5)

    response = support_client.get(export_url())

    assert len(exported(response)) == 3
    assert response["X-Export-Limit"] == "3"


def test_export_reads_the_rows_with_one_bounded_query(support_client):
    ErrorEventFactory.create_batch(3)

    with CaptureQueriesContext(connection) as ctx:
        rows = exported(support_client.get(export_url(code="validation_error")))

    assert len(rows) == 3
    selects = [q["sql"].upper() for q in ctx.captured_queries if "ERRORREGISTRY_ERROREVENT" in q["sql"].upper()]
    assert len(selects) == 1
    assert "LIMIT 10000" in selects[0]
    assert "COUNT(" not in selects[0]


def test_export_with_invalid_filters_is_a_400_page_not_a_file(support_client):
    response = support_client.get(export_url(status="3xx"))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_the_list_links_to_the_export_with_the_same_filters(support_client):
    response = support_client.get(events_url(code="not_found", method="GET", window="7d"))

    assert response.context["export_url"] == export_url(code="not_found", method="GET")


def test_export_is_read_only(support_client):
    assert support_client.post(export_url()).status_code == 405


def test_unindexed_filters_alone_search_the_last_seven_days_and_say_so(support_client):
    recent = ErrorEventFactory(method="DELETE", created_at=timezone.now() - timedelta(days=6))
    ErrorEventFactory(method="DELETE", created_at=timezone.now() - timedelta(days=8))

    response = support_client.get(events_url(method="DELETE"))

    assert listed(response) == [recent.request_id]
    assert "Searching the last 7 days" in response.content.decode()
    assert [row["request_id"] for row in exported(support_client.get(export_url(method="DELETE")))] == [recent.request_id]


@pytest.mark.parametrize("narrowing", [{"since": "30d"}, {"code": "validation_error"}, {"user": "1"}])
def test_unindexed_filters_search_further_back_with_a_range_or_an_indexed_filter(narrowing, support_client):
    old = ErrorEventFactory(method="DELETE", user_id="1", created_at=timezone.now() - timedelta(days=8))

    response = support_client.get(events_url(method="DELETE", **narrowing))

    assert listed(response) == [old.request_id]
    assert "Searching the last 7 days" not in response.content.decode()


def test_the_list_speaks_french_to_a_french_admin(support_client):
    from django.utils import translation

    ErrorEventFactory(code="not_found")

    with translation.override("fr"):
        text = support_client.get(events_url()).content.decode()

    assert "Erreurs : liste, graphique, export" in text
    assert ">Évolution</th>" in text  # not Django admin's "Modifier"
    assert "Exporter ces erreurs en CSV" in text
