"""Bring declared codes into the database without overwriting what an admin edited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from errorregistry.registry.declarations import Declaration, declared_codes, fingerprint_of
from errorregistry.models import ErrorCode, ErrorCodeTranslation

FIELDS = ("http_status", "category", "message", "action", "retryable", "retry_after", "docs_url")


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    differences: dict[str, list[str]] = field(default_factory=dict)


def row_fingerprint(row: ErrorCode) -> str:
    translations = {t.language: (t.message, t.action) for t in row.translations.all()}
    return fingerprint_of({name: getattr(row, name) for name in FIELDS}, translations)


def differences(declaration: Declaration, row: ErrorCode) -> list[str]:
    """Human-readable list of what differs between the declaration and the database row."""
    diffs = [
        f"{name}: database {getattr(row, name)!r} != declared {value!r}"
        for name, value in declaration.as_fields().items()
        if getattr(row, name) != value
    ]
    stored = {t.language: (t.message, t.action) for t in row.translations.all()}
    for language, texts in sorted(declaration.translations.items()):
        if stored.get(language) != tuple(texts):
            diffs.append(f"translation {language}: database {stored.get(language)!r} != declared {tuple(texts)!r}")
    return diffs


def sync(*, overwrite: bool = False, dry_run: bool = False) -> SyncReport:
    """Insert missing codes; update rows that still hold what the last sync wrote; keep admin edits.

    With ``overwrite`` every declared code is forced back to its declaration.
    """
    report = SyncReport()
    declarations = declared_codes()
    rows = {row.code: row for row in ErrorCode.objects.prefetch_related("translations")}
    with transaction.atomic():
        for code, declaration in sorted(declarations.items()):
            row = rows.get(code)
            if row is None:
                report.created.append(code)
                if not dry_run:
                    _write(ErrorCode(code=code), declaration)
                continue
            diffs = differences(declaration, row)
            if not diffs:
                report.unchanged.append(code)
                if not dry_run and row.synced_fingerprint != declaration.fingerprint():
                    ErrorCode.objects.filter(pk=row.pk).update(synced_fingerprint=declaration.fingerprint())
                continue
            report.differences[code] = diffs
            edited_by_admin = row_fingerprint(row) != row.synced_fingerprint
            if edited_by_admin and not overwrite:
                report.kept_edits.append(code)
                continue
            report.updated.append(code)
            if not dry_run:
                _write(row, declaration)
    return report


def _write(row: ErrorCode, declaration: Declaration) -> None:
    row.synced_fingerprint = declaration.fingerprint()
    write_code(row, declaration.as_fields(), declaration.translations)


def write_code(
    row: ErrorCode,
    fields: Mapping[str, Any],
    translations: Mapping[str, tuple[str, str]],
    *,
    drop_other_translations: bool = False,
) -> None:
    """Save ``row`` with ``fields`` and upsert its translations (shared by sync and import)."""
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    if drop_other_translations:
        row.translations.exclude(language__in=list(translations)).delete()
    for language, (message, action) in translations.items():
        ErrorCodeTranslation.objects.update_or_create(
            error_code=row, language=language, defaults={"message": message, "action": action}
        )
