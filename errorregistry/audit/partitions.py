"""Range partitions of the audit table by ``created_at`` on PostgreSQL: opt-in, reversible.

At tens of millions of rows, deleting a day of events costs a long DELETE and the
vacuum of every index; dropping the day's partition costs milliseconds. The layout:

* the table keeps its name and columns; ``PARTITION BY RANGE (created_at)``, one
  partition per UTC day (or per week, starting Monday), named ``<table>_pYYYYMMDD``
  after its first day; the interval is written in the table's comment;
* the primary key becomes ``(id, created_at)``: PostgreSQL requires the partition key in
  every unique constraint of a partitioned table. ``id`` stays unique in practice (one
  sequence feeds it) and Django keeps treating it as the primary key; what the database no
  longer enforces is uniqueness of ``id`` alone — nothing in this app writes an ``id``;
* ``id`` is fed by a sequence owned by the column (instead of an identity column);
* no default partition: a row whose day has no partition is refused, so the writer logs it
  to ``errorregistry.audit`` instead of storing it. ``errorregistry_partition ahead`` (cron,
  daily) keeps partitions ready, and the check ``errorregistry.W005`` warns when tomorrow has none.

Converting and reverting copy the rows (``INSERT … SELECT``) under an exclusive lock: run
them in a maintenance window, or before the table is large.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from errorregistry.models import ErrorEvent

UTC = dt_timezone.utc
INTERVALS = {"day": timedelta(days=1), "week": timedelta(weeks=1)}
COMMENT_PREFIX = "errorregistry: partitioned by "
DEFAULT_AHEAD_DAYS = 7


class PartitioningError(Exception):
    """A request the database or the table's current layout cannot honour; the message says why."""


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime
    end: datetime


def table_name() -> str:
    return ErrorEvent._meta.db_table


def sequence_name() -> str:
    return f"{table_name()}_partitioned_id_seq"


def require_postgresql(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor != "postgresql":
        raise PartitioningError(
            f"Partitioning needs PostgreSQL; the audit database ({connection.alias!r}) is {connection.vendor}."
        )


def interval_of(connection: BaseDatabaseWrapper) -> str | None:
    """"day" or "week" when the audit table is partitioned by this module, else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relkind, obj_description(c.oid, 'pg_class') FROM pg_class c "
            "WHERE c.oid = to_regclass(%s)",
            [connection.ops.quote_name(table_name())],
        )
        row = cursor.fetchone()
    if row is None or row[0] != "p":
        return None
    comment = row[1] or ""
    interval = comment[len(COMMENT_PREFIX):] if comment.startswith(COMMENT_PREFIX) else ""
    return interval if interval in INTERVALS else "day"


def floor(moment: datetime, interval: str) -> datetime:
    """The start of the partition holding ``moment``: its UTC day, or the Monday of its week."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if interval == "week" else day


def partition_name(start: datetime) -> str:
    return f"{table_name()}_p{start:%Y%m%d}"


def partitions(connection: BaseDatabaseWrapper) -> list[Partition]:
    """This table's partitions named by this module, oldest first."""
    interval = interval_of(connection)
    if interval is None:
        return []
    pattern = re.compile(re.escape(table_name()) + r"_p(\d{8})")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [connection.ops.quote_name(table_name())],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    for name in names:
        match = pattern.fullmatch(name)
        if match:
            start = datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC)
            found.append(Partition(name, start, start + INTERVALS[interval]))
    return sorted(found, key=lambda p: p.start)


def create_partitions(connection: BaseDatabaseWrapper, interval: str, start: datetime, until: datetime) -> list[str]:
    """Partitions from the one holding ``start`` to the one holding ``until``; existing ones are kept."""
    quote = connection.ops.quote_name
    step = INTERVALS[interval]
    created = []
    existing = {p.name for p in partitions(connection)}
    moment = floor(start, interval)
    with connection.cursor() as cursor:
        while moment <= until:
            name = partition_name(moment)
            if name not in existing:
                cursor.execute(
                    f"CREATE TABLE {quote(name)} PARTITION OF {quote(table_name())} FOR VALUES FROM (%s) TO (%s)",
                    [moment, moment + step],
                )
                created.append(name)
            moment += step
    return created


def ensure_ahead(connection: BaseDatabaseWrapper, days: int = DEFAULT_AHEAD_DAYS,
                 now: datetime | None = None) -> list[str]:
    """Create the partitions from today to ``days`` ahead that are missing (for cron)."""
    require_postgresql(connection)
    interval = interval_of(connection)
    if interval is None:
        raise PartitioningError(f"{table_name()} is not partitioned: run errorregistry_partition convert first.")
    now = now or timezone.now()
    with transaction.atomic(using=connection.alias):
        return create_partitions(connection, interval, now, now + timedelta(days=days))


def covers(connection: BaseDatabaseWrapper, moment: datetime) -> bool:
    return any(p.start <= moment < p.end for p in partitions(connection))


def _indexes(connection: BaseDatabaseWrapper) -> tuple[str, list[tuple[str, str]]]:
    """The primary key constraint's name and every other index (name, definition) of the table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'",
            [connection.ops.quote_name(table_name())],
        )
        pkey = cursor.fetchone()[0]
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = to_regclass(%s) AND i.relname <> %s ORDER BY i.relname",
            [connection.ops.quote_name(table_name()), pkey],
        )
        return pkey, [(name, definition) for name, definition in cursor.fetchall()]


def _swap_table(connection: BaseDatabaseWrapper, *, partition_by: str | None, primary_key: str,
                prepare: Callable[[Any, str], None]) -> None:
    """Rename the table aside, create its successor with the same columns and indexes, copy the
    rows, drop the old one. ``prepare(cursor, old)`` runs before the copy (partitions, sequence)."""
    quote = connection.ops.quote_name
    table = table_name()
    old = f"{table}_old"
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {quote(table)} IN ACCESS EXCLUSIVE MODE")
        pkey, indexes = _indexes(connection)
        cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(old)}")
        cursor.execute(f"ALTER TABLE {quote(old)} RENAME CONSTRAINT {quote(pkey)} TO {quote(pkey[:59] + '_old')}")
        for name, _definition in indexes:
            cursor.execute(f"ALTER INDEX {quote(name)} RENAME TO {quote(name[:59] + '_old')}")
        layout = f" PARTITION BY RANGE ({quote('created_at')})" if partition_by else ""
        cursor.execute(f"CREATE TABLE {quote(table)} (LIKE {quote(old)} INCLUDING DEFAULTS INCLUDING STORAGE){layout}")
        cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(pkey)} PRIMARY KEY ({primary_key})")
        for _name, definition in indexes:
            # A partitioned table's index reads "ON ONLY"; the definition names the table by its own name.
            cursor.execute(definition.replace(" ON ONLY ", " ON "))
        prepare(cursor, old)
        cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {quote(old)}")
        cursor.execute(f"DROP TABLE {quote(old)}")


def convert(connection: BaseDatabaseWrapper, interval: str = "day", *, ahead: int = DEFAULT_AHEAD_DAYS,
            now: datetime | None = None) -> list[str]:
    """Make the audit table range-partitioned by ``created_at``; the names of the partitions created."""
    require_postgresql(connection)
    if interval not in INTERVALS:
        raise PartitioningError(f"Unknown interval {interval!r}: use one of {', '.join(INTERVALS)}.")
    if interval_of(connection) is not None:
        raise PartitioningError(f"{table_name()} is already partitioned.")
    quote = connection.ops.quote_name
    table, sequence = table_name(), sequence_name()
    now = now or timezone.now()
    created: list[str] = []

    def prepare(cursor: Any, old: str) -> None:
        cursor.execute(f"CREATE SEQUENCE {quote(sequence)}")
        cursor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN id SET DEFAULT nextval(%s)", [sequence])
        cursor.execute(f"ALTER SEQUENCE {quote(sequence)} OWNED BY {quote(table)}.id")
        cursor.execute(f"SELECT setval(%s, COALESCE((SELECT max(id) FROM {quote(old)}), 0) + 1, false)", [sequence])
        cursor.execute(f"COMMENT ON TABLE {quote(table)} IS %s", [COMMENT_PREFIX + interval])
        cursor.execute(f"SELECT min(created_at) FROM {quote(old)}")
        oldest = cursor.fetchone()[0] or now
        created.extend(create_partitions(connection, interval, min(oldest, now), now + timedelta(days=ahead)))
        # A row from the future (a wrong clock) needs a partition too, or the copy fails.
        cursor.execute(f"SELECT max(created_at) FROM {quote(old)}")
        newest = cursor.fetchone()[0]
        if newest is not None and newest > now + timedelta(days=ahead):
            created.extend(create_partitions(connection, interval, newest, newest))

    with transaction.atomic(using=connection.alias):
        _swap_table(connection, partition_by="created_at", primary_key="id, created_at", prepare=prepare)
    return created


def revert(connection: BaseDatabaseWrapper) -> None:
    """Back to one plain table with ``id`` as its primary key, every row kept."""
    require_postgresql(connection)
    if interval_of(connection) is None:
        raise PartitioningError(f"{table_name()} is not partitioned.")
    quote = connection.ops.quote_name
    table, sequence = table_name(), sequence_name()

    def prepare(cursor: Any, old: str) -> None:
        # The sequence moves to the new table before the old one (its owner) is dropped.
        cursor.execute(f"ALTER SEQUENCE {quote(sequence)} OWNED BY {quote(table)}.id")

    with transaction.atomic(using=connection.alias):
        _swap_table(connection, partition_by=None, primary_key="id", prepare=prepare)


def drop_partitions_before(connection: BaseDatabaseWrapper, cutoff: datetime) -> list[str]:
    """Detach and drop every partition whose whole range is older than ``cutoff``, oldest first,
    each in its own short transaction. Rows of the partition holding ``cutoff`` stay for the
    batched DELETE."""
    quote = connection.ops.quote_name
    dropped = []
    for partition in partitions(connection):
        if partition.end > cutoff:
            break
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {quote(table_name())} DETACH PARTITION {quote(partition.name)}")
            cursor.execute(f"DROP TABLE {quote(partition.name)}")
        dropped.append(partition.name)
    return dropped
