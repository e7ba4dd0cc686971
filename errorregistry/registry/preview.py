"""What clients will receive for a code being edited: the envelope per language, its placeholders, its coverage.

The admin's code page shows this while a product person types; it runs the
same pieces as a real error response (``Entry.texts``, ``fill_placeholders``,
the configured formatter), fed with sample values for the placeholders.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from errorregistry.conf import registry_settings
from errorregistry.envelope.formatters import RenderedError, get_formatter, status_line
from errorregistry.envelope.text import PLACEHOLDER, fill_placeholders
from errorregistry.registry.coverage import Coverage, coverage_of, default_language
from errorregistry.registry.store import Entry

SAMPLE_REQUEST_ID = "req_01J8Z3K4M5N6P7Q8R9S0T1V2W3"
SAMPLE_PATH = "/api/example/"
# Plausible values for common placeholder names; any other name gets "<name>".
SAMPLE_VALUES: dict[str, Any] = {
    "balance": 3, "required": 10, "limit": 100, "count": 5, "max": 10, "min": 1, "size": 1024,
    "seconds": 60, "retry_after": 60, "wait": 60, "field": "email", "scope": "read_write",
}


@dataclass(frozen=True)
class LanguagePreview:
    language: str
    name: str
    text_language: str  # the language the message actually comes from (a fallback shows here)
    coverage: Coverage | None  # None for the default language
    status_line: str
    headers: list[tuple[str, str]]
    body: str

    @property
    def falls_back(self) -> bool:
        return self.text_language != self.language


def placeholders_in(text: str) -> list[str]:
    """``{name}`` placeholders of an admin text, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text or "")))


def entry_placeholders(entry: Entry) -> dict[str, list[str]]:
    """Placeholders per text: "message", "action", then "message (fr)", ... for translations."""
    found = {"message": placeholders_in(entry.message), "action": placeholders_in(entry.action)}
    for language, (message, action) in sorted(entry.translations.items()):
        found[f"message ({language})"] = placeholders_in(message)
        found[f"action ({language})"] = placeholders_in(action)
    return {text: names for text, names in found.items() if names}


def placeholder_warnings(entry: Entry) -> list[str]:
    """Translations whose placeholders differ from the default message's: a client would see a raw ``{name}``."""
    expected = set(placeholders_in(entry.message))
    warnings = []
    for language, (message, _action) in sorted(entry.translations.items()):
        if not message:
            continue
        used = set(placeholders_in(message))
        for name in sorted(used - expected):
            warnings.append(f"{language}: {{{name}}} is not in the default message")
        for name in sorted(expected - used):
            warnings.append(f"{language}: {{{name}}} of the default message is missing")
    return warnings


def sample_details(entry: Entry) -> dict[str, Any]:
    names: list[str] = []
    for found in entry_placeholders(entry).values():
        names += [name for name in found if name not in names]
    return {name: SAMPLE_VALUES.get(name, f"<{name}>") for name in names}


def preview(entry: Entry, details: Mapping[str, Any] | None = None) -> list[LanguagePreview]:
    """The response for ``entry`` in each of ``settings.LANGUAGES``, as the error path would build it."""
    formatter = get_formatter()
    details = dict(sample_details(entry) if details is None else details)
    default = default_language()
    previews = []
    for code, name in settings.LANGUAGES:
        language = code.lower()
        template, action, text_language = entry.texts(language)
        message = fill_placeholders(template, details)
        action = fill_placeholders(action, details)
        rendered = RenderedError.from_entry(
            entry,
            code=entry.code or "your_code",
            message=message,
            action=action,
            request_id=SAMPLE_REQUEST_ID,
            details=details,
            instance=SAMPLE_PATH,
            language=text_language,
        )
        headers = [
            ("Content-Type", f"{formatter.content_type}; charset=utf-8"),
            ("Content-Language", text_language),
            (registry_settings.REQUEST_ID_HEADER, SAMPLE_REQUEST_ID),
        ]
        if entry.retry_after is not None:
            headers.append(("Retry-After", str(entry.retry_after)))
        previews.append(
            LanguagePreview(
                language=language,
                name=str(name),
                text_language=text_language,
                coverage=None if language.split("-")[0] == default.split("-")[0] else coverage_of(entry, language),
                status_line=status_line(entry.http_status),
                headers=headers,
                body=json.dumps(formatter.format(rendered), indent=2, ensure_ascii=False, default=str),
            )
        )
    return previews

