"""``manage.py errorregistry_docs``: write the error reference page, or check translation coverage for CI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from errorregistry.envelope.language import supported_language
from errorregistry.publish.reference import FORMATS, render_reference
from errorregistry.registry.coverage import gaps, translated_languages
from errorregistry.registry.store import registry


class Command(BaseCommand):
    help = (
        "Write the error reference (envelope, statuses, codes, retry guidance) as Markdown or HTML; "
        "with --check-translations, list the codes missing a message or action per language and fail if any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="markdown", help="Output format (default: markdown).")
        parser.add_argument(
            "--language", default=None, help="Language of the page, one of settings.LANGUAGES (default: LANGUAGE_CODE)."
        )
        parser.add_argument("--output", default=None, help="File to write; standard output if omitted.")
        parser.add_argument(
            "--check-translations",
            action="store_true",
            help="Check that every active code has its message and action in every language; exit 1 if not.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check_translations"]:
            self.check_translations(options["language"])
            return
        language = self.language(options["language"] or settings.LANGUAGE_CODE)
        page = render_reference(options["format"], language)
        if options["output"]:
            Path(options["output"]).write_text(page, encoding="utf-8")
            self.stderr.write(f"Wrote the {options['format']} reference ({language}) to {options['output']}.")
        else:
            self.stdout.write(page, ending="")

    def language(self, requested: str) -> str:
        """A language of settings.LANGUAGES (``fr-ca`` may resolve to ``fr``); anything else is refused."""
        language = supported_language(requested)
        if language is None:
            choices = ", ".join(code for code, _name in settings.LANGUAGES)
            raise CommandError(f"Unknown language {requested!r}: choose one of settings.LANGUAGES ({choices}).")
        return language

    def check_translations(self, requested: str | None) -> None:
        languages = [code for code, _name in translated_languages()]
        if requested:
            language = self.language(requested)
            if language not in languages:
                raise CommandError(f"{language!r} is the default language: its texts are the codes' own.")
            languages = [language]
        entries = registry.all()
        report = gaps(entries, languages)
        incomplete = 0
        for language, missing in report.items():
            if not missing:
                self.stdout.write(f"{language}: all {len(entries)} codes translated.")
                continue
            incomplete += len(missing)
            self.stdout.write(f"{language}: {len(missing)} of {len(entries)} codes incomplete")
            for item in missing:
                self.stdout.write(f"  {item.code}: missing {' and '.join(item.missing)}")
        if incomplete:
            raise CommandError(f"{incomplete} translation(s) missing; add them in the admin (Error codes).")
