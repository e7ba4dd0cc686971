"""The per-code, per-hour counts: kept by the audit store with each batch, read by the support charts."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from errorregistry import flush_audit
from errorregistry.audit import store
from errorregistry.audit.counts import hour_of
from errorregistry.models import ErrorCount, ErrorEvent
from tests.factories import ErrorEventFactory

ACCOUNT = "/api/demo/account/"  # 401 not_authenticated for an anonymous client
MISSING = "/api/demo/no-such-endpoint/"  # 404 not_found


def background() -> dict:
    return dict(django_settings.ERROR_REGISTRY, AUDIT_MODE="background")


def counts() -> dict[str, int]:
    return {row.code: row.count for row in ErrorCount.objects.all()}


def events_url(**params: str) -> str:
    return reverse("admin:errorregistry_support_events") + ("?" + urlencode(params) if params else "")


@pytest.mark.django_db(transaction=True)
@override_settings(ERROR_REGISTRY=background())
def test_the_background_writer_counts_each_batch_per_code_and_hour():
    client = Client()
    for _ in range(3):
        client.get(ACCOUNT)
    client.get(MISSING)
    assert flush_audit()
    for _ in range(2):
        client.get(MISSING)
    assert flush_audit()

    assert counts() == {"not_authenticated": 3, "not_found": 3}
    hours = {hour_of(event.created_at) for event in ErrorEvent.objects.all()}
    assert set(ErrorCount.objects.values_list("hour", flat=True)) == hours
    assert sum(counts().values()) == ErrorEvent.objects.count()


@pytest.mark.django_db(transaction=True)
def test_inline_mode_counts_each_event_too():
    Client().get(ACCOUNT)
    Client().get(ACCOUNT)
    assert counts() == {"not_authenticated": 2}


@pytest.mark.django_db(transaction=True)
@override_settings(ERROR_REGISTRY=background())
def test_events_and_their_counts_commit_together_or_not_at_all(monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise RuntimeError("counts table unavailable")

    monkeypatch.setattr(store, "add_counts", refuse)
    with caplog.at_level(logging.ERROR, logger="errorregistry.audit"):
        response = Client().get(ACCOUNT)
        assert flush_audit()

    assert response.status_code == 401
    assert not ErrorEvent.objects.exists() and not ErrorCount.objects.exists()
    logged = [r.getMessage() for r in caplog.records if r.name == "errorregistry.audit"]
    assert any(response["X-Request-Id"] in line for line in logged)  # logged instead, not lost


@pytest.mark.django_db
def test_the_chart_and_top_codes_read_the_counts_table_not_the_events(support_client):
    now = timezone.now()
    ErrorCount.objects.create(code="counted_only", hour=hour_of(now), count=7)
    ErrorCount.objects.create(code="counted_only", hour=hour_of(now - timedelta(hours=30)), count=2)

    with CaptureQueriesContext(connection) as captured:
        response = support_client.get(events_url(window="24h"))

    assert response.context["chart"].code_totals == {"counted_only": 7}
    trends = {trend.code: trend for trend, _url in response.context["trends"]}
    assert (trends["counted_only"].count, trends["counted_only"].previous) == (7, 2)
    grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
    assert grouped and all("errorregistry_errorevent" not in sql for sql in grouped)


@pytest.mark.django_db
def test_the_seven_day_chart_sums_the_hours_of_each_day(support_client):
    now = timezone.now()
    ErrorCount.objects.create(code="daily", hour=hour_of(now), count=4)
    ErrorCount.objects.create(code="daily", hour=hour_of(now - timedelta(days=2)), count=5)
    ErrorCount.objects.create(code="daily", hour=hour_of(now - timedelta(days=9)), count=100)  # outside

    chart = support_client.get(events_url(window="7d")).context["chart"]

    assert chart.code_totals == {"daily": 9}
    assert chart.series[0].counts[-1] == 4 and sum(chart.series[0].counts) == 9


@pytest.mark.django_db
def test_a_code_filter_still_reads_the_counts(support_client):
    now = timezone.now()
    ErrorCount.objects.create(code="wanted", hour=hour_of(now), count=3)
    ErrorCount.objects.create(code="other", hour=hour_of(now), count=5)

    chart = support_client.get(events_url(window="24h", code="wanted")).context["chart"]

    assert chart.code_totals == {"wanted": 3}


@pytest.mark.django_db
def test_filters_the_counts_do_not_carry_count_the_events_instead(support_client):
    now = timezone.now()
    ErrorCount.objects.create(code="counted_only", hour=hour_of(now), count=7)
    ErrorEventFactory(code="on_orders", path="/api/orders/1/")

    response = support_client.get(events_url(window="24h", path="/api/orders/"))

    assert response.context["chart"].code_totals == {"on_orders": 1}


@pytest.mark.django_db
def test_the_last_hour_by_minute_counts_the_events(support_client):
    ErrorCount.objects.create(code="counted_only", hour=hour_of(timezone.now()), count=7)
    ErrorEventFactory(code="evented")

    chart = support_client.get(events_url(since="1h")).context["chart"]

    assert chart.code_totals == {"evented": 1}


@pytest.mark.django_db
def test_the_migration_counts_the_events_stored_before_the_counts_table_existed():
    import sys
    from types import SimpleNamespace

    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    now = timezone.now()
    ErrorEvent.objects.bulk_create(  # stored around the audit store: not counted yet
        [ErrorEvent(request_id=f"r{i}", code=code, http_status=400, created_at=when)
         for i, (code, when) in enumerate([("a", now), ("a", now), ("b", now - timedelta(hours=3))])]
    )
    assert not ErrorCount.objects.exists()
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    (backfill,) = [
        sys.modules[migration.__module__].count_existing_events
        for (app, _name), migration in loader.disk_migrations.items()
        if app == "errorregistry" and hasattr(sys.modules[migration.__module__], "count_existing_events")
    ]

    backfill(apps, SimpleNamespace(connection=connection))

    assert {(c.code, c.hour, c.count) for c in ErrorCount.objects.all()} == {
        ("a", hour_of(now), 2), ("b", hour_of(now - timedelta(hours=3)), 1)
    }
