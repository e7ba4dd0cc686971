"""``manage.py errorregistry_export``: the database registry (codes and translations) as stable JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from errorregistry.registry.transfer import export_registry


class Command(BaseCommand):
    help = "Write every registry code and its translations as sorted JSON, for errorregistry_import elsewhere."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=None, help="File to write; standard output if omitted.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = export_registry()
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote the registry to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
