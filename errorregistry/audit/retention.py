"""Retention of the audit trail: how old is too old, and deleting it without long locks.

The purge command and the benchmarks share this code, so the batch loop that
production runs is the one that is measured. On a table partitioned by
``errorregistry_partition``, whole partitions older than the cutoff are detached and
dropped first; the batched DELETE then only has the partition holding the cutoff to clear.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

from errorregistry.audit import audit_alias
from errorregistry.audit.partitions import drop_partitions_before, interval_of
from errorregistry.conf import registry_settings
from errorregistry.models import ErrorEvent

AGE_PATTERN = re.compile(r"^\s*(\d+)\s*([dhm])\s*$", re.IGNORECASE)
AGE_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h`` or ``90m`` -> a positive timedelta; anything else raises ValueError."""
    match = AGE_PATTERN.match(text or "")
    if not match:
        raise ValueError(
            _("%(value)r is not an age: use a number followed by d (days), h (hours) or m (minutes), e.g. 30d.")
            % {"value": text}
        )
    amount, unit = int(match.group(1)), match.group(2).lower()
    if amount <= 0:
        raise ValueError(_("The age must be greater than zero, got %(value)r.") % {"value": text})
    return timedelta(**{AGE_UNITS[unit]: amount})


def cutoff_for(age: timedelta, now: datetime | None = None) -> datetime:
    """Events created strictly before this moment are purged."""
    return (now or timezone.now()) - age


@dataclass(frozen=True)
class PurgeResult:
    deleted: int  # rows deleted by the batched DELETE
    batches: int
    dropped_partitions: list[str] = field(default_factory=list)


def count_older_than(cutoff: datetime, *, using: str | None = None) -> int:
    """How many events a purge would delete (an index range count, for ``--dry-run``)."""
    return ErrorEvent.objects.using(using or audit_alias()).filter(created_at__lt=cutoff).count()


def purge_older_than(
    cutoff: datetime,
    *,
    batch_size: int | None = None,
    using: str | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> PurgeResult:
    """Delete events older than ``cutoff``, oldest first, ``batch_size`` primary keys per statement.

    Each DELETE names its rows by primary key and commits on its own, so no
    statement holds locks on more than one batch and an interrupted purge
    leaves a contiguous history behind.
    """
    size = batch_size or registry_settings.PURGE_BATCH_SIZE
    if size <= 0:
        raise ValueError(_("The batch size must be greater than zero."))
    alias = using or audit_alias()
    connection = connections[alias]
    dropped = drop_partitions_before(connection, cutoff) if interval_of(connection) else []
    events = ErrorEvent.objects.using(alias)
    old = events.filter(created_at__lt=cutoff).order_by("created_at", "id")
    deleted = batches = 0
    while True:
        pks = list(old.values_list("pk", flat=True)[:size])
        if not pks:
            break
        # The time bound lets a partitioned table look in the old partition only.
        count, _per_model = events.filter(pk__in=pks, created_at__lt=cutoff).delete()
        deleted += count
        batches += 1
        if on_batch is not None:
            on_batch(count)
        if len(pks) < size:
            break
    return PurgeResult(deleted=deleted, batches=batches, dropped_partitions=dropped)
