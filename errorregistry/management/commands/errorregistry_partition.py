"""``errorregistry_partition``: range-partition the audit table by ``created_at`` on PostgreSQL,
keep partitions ready ahead of time (cron), or go back to one plain table."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from errorregistry.audit import audit_alias
from errorregistry.audit.partitions import (
    DEFAULT_AHEAD_DAYS,
    INTERVALS,
    PartitioningError,
    convert,
    ensure_ahead,
    interval_of,
    partitions,
    revert,
)


class Command(BaseCommand):
    help = (
        "Partition the audit table by day or week (convert), create the coming partitions "
        "(ahead: run it daily from cron), show the layout (status), or undo it (revert). PostgreSQL only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["convert", "ahead", "status", "revert"])
        parser.add_argument("--interval", choices=list(INTERVALS), default="day", help="convert: one partition per day (default) or week.")
        parser.add_argument("--days", type=int, default=DEFAULT_AHEAD_DAYS, help=f"Days of partitions kept ready ahead of today (default {DEFAULT_AHEAD_DAYS}).")

    def handle(self, *args: Any, action: str, interval: str, days: int, **options: Any) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1.")
        connection = connections[audit_alias()]
        try:
            if action == "convert":
                created = convert(connection, interval, ahead=days)
                self.stdout.write(self.style.SUCCESS(f"Partitioned the audit table by {interval}: {len(created)} partition(s)."))
            elif action == "ahead":
                created = ensure_ahead(connection, days)
                self.stdout.write(f"Created {len(created)} partition(s){': ' + ', '.join(created) if created else ''}.")
            elif action == "revert":
                revert(connection)
                self.stdout.write(self.style.SUCCESS("The audit table is one plain table again."))
            else:
                current = interval_of(connection)
                if current is None:
                    self.stdout.write("The audit table is not partitioned.")
                else:
                    found = partitions(connection)
                    span = f"{found[0].start:%Y-%m-%d} to {found[-1].end:%Y-%m-%d}" if found else "none"
                    self.stdout.write(f"Partitioned by {current}: {len(found)} partition(s), {span}.")
        except PartitioningError as exc:
            raise CommandError(str(exc)) from exc
