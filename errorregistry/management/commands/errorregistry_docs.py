"""``manage.py errorregistry_docs``: write the error reference page generated from the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from errorregistry.reference import FORMATS, render_reference, resolve_language


class Command(BaseCommand):
    help = "Write the error reference (envelope, statuses, codes, retry guidance) as Markdown or HTML."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="markdown", help="Output format (default: markdown).")
        parser.add_argument(
            "--language", default=None, help="Language of the page, e.g. fr (default: settings.LANGUAGE_CODE)."
        )
        parser.add_argument("--output", default=None, help="File to write; standard output if omitted.")

    def handle(self, *args: Any, **options: Any) -> None:
        language = resolve_language(options["language"] or settings.LANGUAGE_CODE)
        page = render_reference(options["format"], language)
        if options["output"]:
            Path(options["output"]).write_text(page, encoding="utf-8")
            self.stderr.write(f"Wrote the {options['format']} reference ({language}) to {options['output']}.")
        else:
            self.stdout.write(page, ending="")
