"""Retention: ``errorregistry_purge`` deletes old audit events in bounded batches."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from errorregistry.models import ErrorEvent
from errorregistry.audit.retention import count_older_than, parse_age, purge_older_than
from tests.factories import ErrorEventFactory

pytestmark = pytest.mark.django_db


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def purge(*args: str) -> str:
    out = StringIO()
    call_command("errorregistry_purge", *args, stdout=out)
    return out.getvalue()


def delete_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("DELETE")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        (" 7D ", timedelta(days=7)),
    ],
)
def test_age_accepts_days_hours_and_minutes(text, expected):
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["30", "d", "30w", "-1d", "0d", "1.5d", ""])
def test_age_rejects_anything_but_a_positive_count_and_unit(text):
    with pytest.raises(ValueError):
        parse_age(text)


def test_purge_deletes_only_events_older_than_the_cutoff():
    old = ErrorEventFactory.create_batch(3, created_at=days_ago(31))
    recent = ErrorEventFactory.create_batch(2, created_at=days_ago(29))

    purge("--older-than", "30d")

    remaining = set(ErrorEvent.objects.values_list("pk", flat=True))
    assert remaining == {e.pk for e in recent}
    assert not remaining & {e.pk for e in old}


def test_an_event_created_exactly_at_the_cutoff_is_kept_and_not_counted():
    cutoff = timezone.now() - timedelta(days=30)
    at_cutoff = ErrorEventFactory(created_at=cutoff)
    just_before = ErrorEventFactory(created_at=cutoff - timedelta(microseconds=1))

    assert count_older_than(cutoff) == 1
    result = purge_older_than(cutoff)

    assert result.deleted == 1
    assert set(ErrorEvent.objects.values_list("pk", flat=True)) == {at_cutoff.pk}
    assert not ErrorEvent.objects.filter(pk=just_before.pk).exists()


def test_a_count_that_fills_the_last_batch_exactly_is_deleted_whole():
    ErrorEventFactory.create_batch(4, created_at=days_ago(40))

    output = purge("--older-than", "30d", "--batch-size", "2")

    assert ErrorEvent.objects.count() == 0
    assert "Deleted 4 error event(s)" in output


def test_purge_deletes_in_batches_of_primary_keys_no_larger_than_the_batch_size():
    ErrorEventFactory.create_batch(5, created_at=days_ago(40))

    with CaptureQueriesContext(connection) as ctx:
        output = purge("--older-than", "30d", "--batch-size", "2")

    deletes = delete_statements(ctx.captured_queries)
    assert len(deletes) == 3  # 2 + 2 + 1
    assert all("IN (" in sql.upper() for sql in deletes)
    assert ErrorEvent.objects.count() == 0
    assert "Deleted 5 error event(s)" in output
    assert "in 3 batch(es)" in output


def test_purge_batch_size_defaults_to_the_setting():
    ErrorEventFactory.create_batch(3, created_at=days_ago(40))

    with override_settings(ERROR_REGISTRY={**settings.ERROR_REGISTRY, "PURGE_BATCH_SIZE": 1}):
        with CaptureQueriesContext(connection) as ctx:
            purge("--older-than", "30d")

    assert len(delete_statements(ctx.captured_queries)) == 3


def test_purge_age_defaults_to_the_setting():
    ErrorEventFactory(created_at=timezone.now() - timedelta(hours=3))
    kept = ErrorEventFactory(created_at=timezone.now() - timedelta(minutes=30))

    with override_settings(ERROR_REGISTRY={**settings.ERROR_REGISTRY, "PURGE_OLDER_THAN": "2h"}):
        purge()

    assert list(ErrorEvent.objects.values_list("pk", flat=True)) == [kept.pk]


def test_dry_run_reports_the_count_and_deletes_nothing():
    ErrorEventFactory.create_batch(4, created_at=days_ago(60))
    ErrorEventFactory(created_at=days_ago(1))

    with CaptureQueriesContext(connection) as ctx:
        output = purge("--older-than", "30d", "--dry-run")

    assert "would delete 4 error event(s)" in output
    assert delete_statements(ctx.captured_queries) == []
    assert ErrorEvent.objects.count() == 5


def test_purge_with_nothing_to_delete_runs_no_delete():
    ErrorEventFactory(created_at=days_ago(1))

    with CaptureQueriesContext(connection) as ctx:
        output = purge("--older-than", "30d")

    assert delete_statements(ctx.captured_queries) == []
    assert "Deleted 0 error event(s)" in output


def test_purge_rejects_an_unreadable_age():
    with pytest.raises(CommandError, match="not an age"):
        purge("--older-than", "a month")


def test_purge_rejects_a_batch_size_of_zero():
    with pytest.raises(CommandError, match="batch-size"):
        purge("--older-than", "30d", "--batch-size", "0")


def test_purge_deletes_oldest_events_first():
    oldest = ErrorEventFactory(created_at=days_ago(90))
    older = ErrorEventFactory(created_at=days_ago(60))
    cutoff = timezone.now() - timedelta(days=30)
    left_after_each_batch = []

    def snapshot(count: int) -> None:
        left_after_each_batch.append(set(ErrorEvent.objects.values_list("pk", flat=True)))

    result = purge_older_than(cutoff, batch_size=1, on_batch=snapshot)

    assert (result.deleted, result.batches) == (2, 2)
    assert left_after_each_batch == [{older.pk}, set()]
    assert oldest.pk not in left_after_each_batch[0]
