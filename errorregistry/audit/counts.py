"""Per-code, per-hour event counts, kept by the store in the transaction of each batch.

The batch is tallied in Python first (a batch of 500 events is a handful of
(code, hour) pairs), then added with one upsert per pair. Pairs go in sorted
order, so two writers (two gunicorn workers) lock the same rows in the same order
and never deadlock on them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from errorregistry.models import ErrorCount

UTC = dt_timezone.utc
# Databases whose INSERT … ON CONFLICT … DO UPDATE adds to a row in one statement.
UPSERT_VENDORS = ("postgresql", "sqlite")


def hour_number(moment: datetime) -> int:
    """The UTC hour an event is counted in, as hours since the epoch."""
    return int(moment.timestamp() // 3600)


def hour_start(number: int) -> datetime:
    """The hour ``number`` (``hour_number``) as the aware UTC datetime the counts table keys on."""
    return datetime.fromtimestamp(number * 3600, UTC)


def hour_of(moment: datetime) -> datetime:
    """The UTC hour an event is counted in."""
    return hour_start(hour_number(moment))


def tally(events: Iterable[dict[str, Any]]) -> list[tuple[str, datetime, int]]:
    """(code, hour, how many) for a batch of events, sorted: the order rows are locked in.

    Events are grouped by hour number (a datetime per event was a tenth of the writer's work);
    a batch has only a few (code, hour) pairs."""
    counter = Counter((event["code"], hour_number(event["created_at"])) for event in events)
    return sorted((code, hour_start(hour), n) for (code, hour), n in counter.items())


def add_counts(cursor: Any, connection: BaseDatabaseWrapper, tallies: Sequence[tuple[str, datetime, int]]) -> None:
    """Add ``tallies`` to the counts table, inside the caller's transaction."""
    if not tallies:
        return
    quote = connection.ops.quote_name
    opts = ErrorCount._meta
    table = quote(opts.db_table)
    code, hour, count = (quote(opts.get_field(name).column) for name in ("code", "hour", "count"))
    prepare = opts.get_field("hour").get_db_prep_save
    rows = [(c, prepare(h, connection), n) for c, h, n in tallies]
    if connection.vendor in UPSERT_VENDORS:
        sql = (
            f"INSERT INTO {table} ({code}, {hour}, {count}) VALUES (%s, %s, %s) "
            f"ON CONFLICT ({code}, {hour}) DO UPDATE SET {count} = {table}.{count} + EXCLUDED.{count}"
        )
        if len(rows) == 1:  # the inline mode's one event
            cursor.execute(sql, rows[0])
        else:
            cursor.executemany(sql, rows)
        return
    # Any other database: add to the row, create it when there was none (the unique constraint
    # turns a concurrent creation into an IntegrityError, and the writer retries row by row).
    for c, h, n in rows:
        cursor.execute(f"UPDATE {table} SET {count} = {count} + %s WHERE {code} = %s AND {hour} = %s", [n, c, h])
        if cursor.rowcount == 0:
            cursor.execute(f"INSERT INTO {table} ({code}, {hour}, {count}) VALUES (%s, %s, %s)", [c, h, n])
