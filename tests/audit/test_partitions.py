"""Range partitions of the audit table on PostgreSQL (``errorregistry_partition``): conversion, rows
kept, writes (COPY and single INSERT), pruned lookups, partitions ahead, purge by dropping partitions,
and the way back. Each test runs in its own transaction: the DDL is rolled back with it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.db import models
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from errorregistry.audit.partitions import covers, interval_of, partitions
from errorregistry.audit.store import insert_rows
from errorregistry.checks import check_partitions
from errorregistry.models import ErrorCount, ErrorEvent
from errorregistry.request_id import minted_at, new_request_id
from tests.factories import ErrorEventFactory, UserFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is PostgreSQL's: runs in the PostgreSQL pass (DATABASE_URL)"
)
TABLE = ErrorEvent._meta.db_table


def partition_command(*args: str) -> str:
    out = StringIO()
    call_command("errorregistry_partition", *args, stdout=out)
    return out.getvalue()


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def event_row(created_at, code="validation_error") -> dict:
    """An event as the writer hands it to the store: every column, JSON columns as JSON text."""
    row = {
        field.attname: "{}" if isinstance(field, models.JSONField) else field.get_default()
        for field in ErrorEvent._meta.concrete_fields
        if not field.primary_key
    }
    row.update(
        request_id=new_request_id(), code=code, http_status=400, message="m", language="en", method="GET",
        path="/api/x/", created_at=created_at,
    )
    return row


def test_partitioning_refuses_a_database_other_than_postgresql_with_a_clear_message():
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL can be partitioned: the refusal is tested in the SQLite pass")
    with pytest.raises(CommandError, match="Partitioning needs PostgreSQL"):
        partition_command("convert")


@postgresql_only
def test_convert_partitions_by_day_and_keeps_every_row_and_write_path():
    old = [ErrorEventFactory(created_at=days_ago(d)) for d in (3, 2, 0)]
    before = set(ErrorEvent.objects.values_list("pk", "request_id"))

    partition_command("convert")

    assert interval_of(connection) == "day"
    found = partitions(connection)
    assert found[0].start <= old[0].created_at and covers(connection, timezone.now() + timedelta(days=7))
    assert set(ErrorEvent.objects.values_list("pk", "request_id")) == before
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ONLY {TABLE}")  # the parent holds no row itself
        assert cursor.fetchone()[0] == 0
    # The writer's COPY (a batch) and single INSERT both land, with ids after the old ones.
    insert_rows([event_row(timezone.now()), event_row(days_ago(1))], [], "default")
    insert_rows([event_row(timezone.now())], [], "default")
    assert ErrorEvent.objects.count() == 6
    assert min(ErrorEvent.objects.exclude(pk__in=[e.pk for e in old]).values_list("pk", flat=True)) > max(e.pk for e in old)
    # And an error response through HTTP is stored and counted.
    response = Client().get("/api/demo/account/")
    assert ErrorEvent.objects.filter(request_id=response["X-Request-Id"]).exists()
    assert ErrorCount.objects.filter(code="not_authenticated").exists()


@postgresql_only
def test_a_minted_id_lookup_reads_one_partition():
    partition_command("convert")
    request_id = new_request_id()
    ErrorEventFactory(request_id=request_id, created_at=minted_at(request_id))
    client = Client()
    client.force_login(UserFactory(username="agent", is_staff=True, is_superuser=True))
    from errorregistry.support.queries import by_request_id

    sql, params = by_request_id([request_id]).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    scanned = {p.name for p in partitions(connection) if p.name in plan}
    assert 1 <= len(scanned) <= 2, plan
    assert client.get("/admin/errorregistry/supportconsole/", {"q": request_id}).status_code == 302


@postgresql_only
def test_convert_by_week_starts_partitions_on_monday():
    ErrorEventFactory(created_at=days_ago(10))

    partition_command("convert", "--interval", "week")

    assert interval_of(connection) == "week"
    assert all(p.start.weekday() == 0 and p.end - p.start == timedelta(weeks=1) for p in partitions(connection))
    assert ErrorEvent.objects.count() == 1


@postgresql_only
def test_converting_twice_or_reverting_a_plain_table_is_refused():
    with pytest.raises(CommandError, match="not partitioned"):
        partition_command("revert")
    partition_command("convert")
    with pytest.raises(CommandError, match="already partitioned"):
        partition_command("convert")


@postgresql_only
def test_ahead_creates_the_missing_partitions_and_the_check_warns_until_then():
    partition_command("convert", "--days", "1")
    tomorrow = partitions(connection)[-1]
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE {TABLE} DETACH PARTITION "{tomorrow.name}"')
        cursor.execute(f'DROP TABLE "{tomorrow.name}"')

    assert [m.id for m in check_partitions(databases=["default"])] == ["errorregistry.W005"]
    assert check_partitions(databases=None) == []  # only with the database checks

    assert "Created" in partition_command("ahead", "--days", "3")
    assert covers(connection, timezone.now() + timedelta(days=3))
    assert check_partitions(databases=["default"]) == []
    assert "Created 0 partition(s)" in partition_command("ahead", "--days", "3")


@postgresql_only
def test_purge_drops_whole_old_partitions_and_deletes_the_rest_in_batches():
    ErrorEventFactory.create_batch(3, created_at=days_ago(40))
    ErrorEventFactory.create_batch(2, created_at=days_ago(35))
    kept = ErrorEventFactory.create_batch(2, created_at=days_ago(1))
    partition_command("convert")
    before = {p.name for p in partitions(connection)}

    out = StringIO()
    call_command("errorregistry_purge", "--older-than", "30d", stdout=out)

    dropped = before - {p.name for p in partitions(connection)}
    assert dropped and all(p < f"{TABLE}_p{days_ago(30):%Y%m%d}" for p in dropped)
    assert "Dropped" in out.getvalue()
    assert set(ErrorEvent.objects.values_list("pk", flat=True)) == {e.pk for e in kept}
    assert not ErrorEvent.objects.filter(created_at__lt=days_ago(30)).exists()


@postgresql_only
def test_revert_gives_back_one_plain_table_with_every_row():
    events = [ErrorEventFactory(created_at=days_ago(d)) for d in (5, 1, 0)]
    partition_command("convert")
    insert_rows([event_row(timezone.now())], [], "default")

    partition_command("revert")

    assert interval_of(connection) is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        assert cursor.fetchone()[0] == "r"
    assert ErrorEvent.objects.count() == 4 and {e.pk for e in events} <= set(ErrorEvent.objects.values_list("pk", flat=True))
    insert_rows([event_row(timezone.now()), event_row(timezone.now())], [], "default")
    assert ErrorEvent.objects.count() == 6
    assert "not partitioned" in partition_command("status")
