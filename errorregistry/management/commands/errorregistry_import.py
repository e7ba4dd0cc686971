"""``manage.py errorregistry_import FILE [--dry-run]``: make the database registry equal to an export file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errorregistry.registry.transfer import TransferError, import_registry


class Command(BaseCommand):
    help = (
        "Show the codes an export file adds, changes and removes, then apply them in one transaction. "
        "An invalid file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A file written by errorregistry_export.")
        parser.add_argument("--dry-run", action="store_true", help="Show the differences without writing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = Path(options["file"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        try:
            plan = import_registry(text, dry_run=options["dry_run"])
        except TransferError as exc:
            raise CommandError(f"Nothing was imported. {exc}") from exc
        for line in plan.lines():
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
        elif plan.is_empty:
            self.stdout.write("The registry already matches the file.")
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
