"""``errorregistry_purge``: delete audit events older than an age, in bounded batches, after
dropping whole partitions when the table is partitioned (``errorregistry_partition``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errorregistry.audit.retention import count_older_than, cutoff_for, parse_age, purge_older_than
from errorregistry.conf import registry_settings


class Command(BaseCommand):
    help = "Delete error events older than an age (e.g. 30d, 12h, 90m), a batch of primary keys at a time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            default=None,
            help="Age such as 30d, 12h or 90m. Default: ERROR_REGISTRY['PURGE_OLDER_THAN'].",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Rows per DELETE statement. Default: ERROR_REGISTRY['PURGE_BATCH_SIZE'].",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only print how many events would be deleted.")

    def handle(self, *args: Any, older_than: str | None, batch_size: int | None, dry_run: bool, **options: Any) -> None:
        age_text = older_than or registry_settings.PURGE_OLDER_THAN
        try:
            cutoff = cutoff_for(parse_age(age_text))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        size = batch_size if batch_size is not None else registry_settings.PURGE_BATCH_SIZE
        if size <= 0:
            raise CommandError("--batch-size must be greater than zero.")

        if dry_run:
            count = count_older_than(cutoff)
            self.stdout.write(f"Dry run: would delete {count} error event(s) created before {cutoff.isoformat()}.")
            return

        def report(count: int) -> None:
            if options.get("verbosity", 1) >= 2:
                self.stdout.write(f"  deleted a batch of {count}")

        result = purge_older_than(cutoff, batch_size=size, on_batch=report)
        if result.dropped_partitions:
            self.stdout.write(
                f"Dropped {len(result.dropped_partitions)} partition(s) older than {cutoff.isoformat()}: "
                + ", ".join(result.dropped_partitions)
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {result.deleted} error event(s) created before {cutoff.isoformat()} "
                f"in {result.batches} batch(es) of at most {size}."
            )
        )
