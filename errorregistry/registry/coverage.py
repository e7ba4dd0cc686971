"""Translation coverage: which codes lack a message or an action in which language.

A code without a translation silently falls back to the default language's
text; this module makes that visible to the admin, the code page and CI
(``errorregistry_docs --check-translations``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings

from errorregistry.registry.store import Entry

MESSAGE = "message"
ACTION = "action"


def default_language() -> str:
    return settings.LANGUAGE_CODE.lower()


def translated_languages() -> list[tuple[str, str]]:
    """(code, name) of every language in ``settings.LANGUAGES`` that needs its own texts.

    The default language is the codes' own text, and a regional variant of it
    (``en-gb`` when the default is ``en``) reads that same text: neither needs a translation.
    """
    base = default_language().split("-")[0]
    return [(code.lower(), str(name)) for code, name in settings.LANGUAGES if code.lower().split("-")[0] != base]


@dataclass(frozen=True)
class Coverage:
    """One code in one language: what a client of that language gets in the default language instead."""

    code: str
    language: str
    missing: tuple[str, ...]  # MESSAGE and/or ACTION

    @property
    def complete(self) -> bool:
        return not self.missing


def coverage_of(entry: Entry, language: str) -> Coverage:
    """Translated if the language or its base language (``fr-ca`` -> ``fr``) has the text."""
    chain = [language]
    if "-" in language:
        chain.append(language.split("-")[0])
    texts = [entry.translations.get(candidate) for candidate in chain]
    has_message = any(t and t[0] for t in texts)
    has_action = any(t and t[1] for t in texts)
    missing = []
    if not has_message:
        missing.append(MESSAGE)
    if entry.action and not has_action:
        missing.append(ACTION)
    return Coverage(entry.code, language, tuple(missing))


def gaps(entries: Mapping[str, Entry] | Iterable[Entry], languages: Iterable[str] | None = None) -> dict[str, list[Coverage]]:
    """Per language, the codes (sorted) missing a message or an action; every language is a key."""
    values = list(entries.values()) if isinstance(entries, Mapping) else list(entries)
    chosen = [code for code, _name in translated_languages()] if languages is None else list(languages)
    report: dict[str, list[Coverage]] = {}
    for language in chosen:
        report[language] = [
            coverage for entry in sorted(values, key=lambda e: e.code)
            if not (coverage := coverage_of(entry, language)).complete
        ]
    return report
