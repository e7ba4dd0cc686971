"""Store audit events in the database: many rows per statement, values as the events carry them.

The same transaction adds the batch to the per-code, per-hour counts (``counts``),
so the counts never disagree with the events they count.

PostgreSQL with psycopg 3 gets ``COPY … FROM STDIN``; every other database one
prepared INSERT executed for the whole batch. Both skip ``Model.save()``: an
append-only log needs no signals, no per-row state and no RETURNING.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from functools import lru_cache
from typing import Any

from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from errorregistry.audit.counts import add_counts, tally
from errorregistry.audit.events import JSON_COLUMNS
from errorregistry.conf import registry_settings
from errorregistry.models import ErrorEvent, ErrorFlood

# Values of these fields reach every driver as the event holds them (str, int, bool, None):
# JSON columns arrive as JSON text, which jsonb, SQLite and MySQL's JSON all accept as is.
PLAIN_FIELDS = (models.CharField, models.TextField, models.BooleanField, models.IntegerField)


def audit_alias() -> str:
    """The database audit rows are written to (and purged from)."""
    return registry_settings.AUDIT_DATABASE or router.db_for_write(ErrorEvent)


def insert_rows(events: Sequence[dict[str, Any]], floods: Sequence[dict[str, Any]], alias: str,
          *, timeout: float | None = None) -> None:
    """Store audit events, their hourly counts and flood counts in one transaction (a savepoint
    inside a caller's).

    ``timeout`` bounds, on PostgreSQL, both the wait for a lock on the table and each
    statement, for this transaction only (safe behind a transaction-pooling PgBouncer).
    """
    if not events and not floods:
        return
    connection = connections[alias]
    # One statement in autocommit is already atomic; anything more, or inside a caller's
    # transaction (a failed write must not poison it), gets its own transaction or savepoint.
    # Events always take two statements: the rows and their counts.
    alone = not events and len(floods) == 1 and timeout is None and not connection.in_atomic_block
    with nullcontext() if alone else transaction.atomic(using=alias), connection.cursor() as cursor:
        if timeout is not None and connection.vendor == "postgresql":
            milliseconds = str(max(1, int(timeout * 1000)))
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
                [milliseconds, milliseconds],
            )
        for model, rows in ((ErrorEvent, events), (ErrorFlood, floods)):
            if rows:
                _store_rows(cursor, statement_for(model, alias, connection.vendor), rows, connection)
        add_counts(cursor, connection, tally(events))


def _store_rows(cursor: Any, statement: Statement, rows: Sequence[dict[str, Any]],
                connection: BaseDatabaseWrapper) -> None:
    raw = cursor.cursor
    if len(rows) > 1 and statement.copy_sql and hasattr(raw, "copy"):  # psycopg 3; errors raised as Django's
        with connection.wrap_database_errors, raw.copy(statement.copy_sql) as copy:
            for row in rows:
                copy.write_row(statement.values(row, connection, for_copy=True))
    elif len(rows) == 1:
        cursor.execute(statement.insert_sql, statement.values(rows[0], connection))
    else:
        cursor.executemany(statement.insert_sql, [statement.values(row, connection) for row in rows])


class Statement:
    """The SQL that stores one model's rows on one database, and how to lay out a row's values."""

    def __init__(self, model: type[models.Model], connection: BaseDatabaseWrapper) -> None:
        quote = connection.ops.quote_name
        self.fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        columns = ", ".join(quote(field.column) for field in self.fields)
        table = quote(model._meta.db_table)
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN" if connection.vendor == "postgresql" else ""
        # Which values need the field's own preparation (dates, IP addresses); the rest go as they are.
        self.columns = [
            (field.attname, None if isinstance(field, PLAIN_FIELDS) or field.attname in JSON_COLUMNS else field)
            for field in self.fields
        ]

    def values(self, row: dict[str, Any], connection: BaseDatabaseWrapper, *, for_copy: bool = False) -> list[Any]:
        if for_copy:  # psycopg adapts dates and addresses itself in COPY
            return [row[name] for name, _ in self.columns]
        # prepared=True: the event holds Python values of the right type already (an aware
        # datetime, an address string), so only the database's adaptation is left to do.
        return [
            row[name] if field is None else field.get_db_prep_value(row[name], connection, prepared=True)
            for name, field in self.columns
        ]


@lru_cache(maxsize=16)
def statement_for(model: type[models.Model], alias: str, vendor: str) -> Statement:
    return Statement(model, connections[alias])
