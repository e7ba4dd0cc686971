"""Bring declared codes into the database without overwriting what an admin edited."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from errorregistry.models import ErrorCode
from errorregistry.registry import rows
from errorregistry.registry.declarations import CONTRACT_FIELDS, Declaration, declared_codes, fingerprint_of
from errorregistry.registry.rows import row_fields, row_texts, write_code


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    differences: dict[str, list[str]] = field(default_factory=dict)


def row_fingerprint(row: ErrorCode) -> str:
    return fingerprint_of(row_fields(row, CONTRACT_FIELDS), row_texts(row))


def differences(declaration: Declaration, row: ErrorCode) -> list[str]:
    """Human-readable list of what differs between the declaration and the database row.

    Translations the row has and the declaration lacks are not differences: sync never drops them.
    """
    found = rows.differences(
        declaration.as_fields(), declaration.translations, row_fields(row, CONTRACT_FIELDS), row_texts(row)
    )
    return [
        f"{d.name}: database {d.theirs!r} != declared {d.ours!r}"
        for d in found
        if d.ours is not None or not d.name.startswith("translation ")
    ]


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
