from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errorregistry.registry.sync import sync


class Command(BaseCommand):
    help = "Insert declared error codes into the registry without overwriting admin edits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--overwrite", action="store_true", help="Force every declared code back to its declaration.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; list differences and exit non-zero if the database differs from the declarations.",
        )

    def handle(self, *args: Any, overwrite: bool = False, check: bool = False, **options: Any) -> None:
        report = sync(overwrite=overwrite, dry_run=check)
        if check:
            for code in report.created:
                self.stdout.write(f"missing: {code}")
            for code, diffs in sorted(report.differences.items()):
                for diff in diffs:
                    self.stdout.write(f"differs: {code}: {diff}")
            if report.created or report.differences:
                raise CommandError(
                    f"{len(report.created)} missing and {len(report.differences)} differing code(s); "
                    "run errorregistry_sync to insert missing codes (--overwrite to force declarations)."
                )
            self.stdout.write(self.style.SUCCESS("The registry matches the declared catalog."))
            return
        for code in report.kept_edits:
            self.stdout.write(f"kept admin edit: {code}")
        self.stdout.write(
            self.style.SUCCESS(
                f"created {len(report.created)}, updated {len(report.updated)}, "
                f"kept {len(report.kept_edits)} admin edit(s), unchanged {len(report.unchanged)}"
            )
        )
