"""Move registry edits between environments: export the database registry as JSON, import it elsewhere.

The file is stable (codes sorted, keys sorted, fixed indentation) so that two
exports of the same registry are byte-identical and diff well in review.
An import is checked whole before anything is written, with the same model
validation as the admin, and is then applied in one transaction: a wrong
file changes nothing and names the entry at fault.

Imported rows count as edits for ``errorregistry_sync``: it keeps them
instead of resetting them to the code's declarations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from errorregistry.models import ErrorCode, ErrorCodeTranslation
from errorregistry.registry.declarations import CONTRACT_FIELDS, REGISTRY_FIELDS
from errorregistry.registry.rows import differences, row_fields, write_code

FORMAT = "errorregistry/1"
FIELDS = (*CONTRACT_FIELDS, *REGISTRY_FIELDS)
REQUIRED = ("code", "http_status", "message")
# JSON types each member must have before model validation (bool is not accepted as a number).
TYPES: dict[str, tuple[type, ...]] = {
    "code": (str,),
    "http_status": (int,),
    "category": (str,),
    "message": (str,),
    "action": (str,),
    "retryable": (bool,),
    "retry_after": (int, type(None)),
    "docs_url": (str,),
    "is_active": (bool,),
    "audit_policy": (str,),
    "audit_sample_rate": (int, float),
    "translations": (dict,),
}


class TransferError(Exception):
    """The file cannot be imported; the message says which entry and why."""


@dataclass(frozen=True)
class CodeRecord:
    """One code as it travels: its public fields and its translations, comparable as a whole."""

    code: str
    fields: tuple[tuple[str, Any], ...]
    translations: tuple[tuple[str, str, str], ...]

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, **dict(self.fields)}
        data["translations"] = {lang: {"message": m, "action": a} for lang, m, a in self.translations}
        return data

    def changes(self, other: CodeRecord) -> list[str]:
        """Names of what differs from ``other``: field names and ``translation <lang>``."""
        return [d.name for d in differences(dict(self.fields), self.texts(), dict(other.fields), other.texts())]

    def texts(self) -> dict[str, tuple[str, str]]:
        return {lang: (message, action) for lang, message, action in self.translations}


@dataclass
class ImportPlan:
    """What an import does: codes added, changed (with what changed), and removed."""

    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    records: dict[str, CodeRecord] = field(default_factory=dict, repr=False)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def lines(self) -> list[str]:
        """One line per difference, ``+``/``~``/``-`` like a diff, then a summary."""
        lines = [f"+ {code}" for code in self.added]
        lines += [f"~ {code}: {', '.join(what)}" for code, what in self.changed.items()]
        lines += [f"- {code}" for code in self.removed]
        lines.append(
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged."
        )
        return lines


# -- export ---------------------------------------------------------------------------


def record_from_row(row: ErrorCode) -> CodeRecord:
    return CodeRecord(
        code=row.code,
        fields=tuple(row_fields(row, FIELDS).items()),
        translations=tuple(sorted((t.language, t.message, t.action) for t in row.translations.all())),
    )


def current_records() -> dict[str, CodeRecord]:
    rows = ErrorCode.objects.prefetch_related("translations").order_by("code")
    return {row.code: record_from_row(row) for row in rows}


def export_registry() -> str:
    """The database registry as stable JSON text (sorted codes, sorted keys, trailing newline)."""
    payload = {"format": FORMAT, "codes": [record.as_json() for record in current_records().values()]}
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- import ---------------------------------------------------------------------------


def parse(text: str) -> dict[str, CodeRecord]:
    """Every record of an export file, validated like the admin validates them; TransferError if not."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TransferError(f"The file is not valid JSON: {exc}.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("codes"), list):
        raise TransferError('The file must be a JSON object with a "codes" list, as written by errorregistry_export.')
    if payload.get("format", FORMAT) != FORMAT:
        raise TransferError(f'Unsupported format {payload.get("format")!r}; expected {FORMAT!r}.')
    records: dict[str, CodeRecord] = {}
    for index, item in enumerate(payload["codes"]):
        label = f"codes[{index}]"
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            label += f" ({item['code']})"
        try:
            record = parse_entry(item)
        except TransferError as exc:
            raise TransferError(f"{label}: {exc}") from exc
        if record.code in records:
            raise TransferError(f"{label}: the code appears twice in the file.")
        records[record.code] = record
    return records


def parse_entry(item: Any) -> CodeRecord:
    if not isinstance(item, dict):
        raise TransferError("each entry must be a JSON object.")
    unknown = sorted(set(item) - set(TYPES))
    if unknown:
        raise TransferError(f"unknown member(s): {', '.join(unknown)}.")
    missing = [name for name in REQUIRED if name not in item]
    if missing:
        raise TransferError(f"missing member(s): {', '.join(missing)}.")
    for name, value in item.items():
        expected = TYPES[name]
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in expected)
            raise TransferError(f"{name} must be {names}, got {json.dumps(value)[:60]}.")

    row = ErrorCode(**{name: item[name] for name in ("code", *FIELDS) if name in item})
    _full_clean(row, exclude=["synced_fingerprint"], validate_unique=False)
    translations = []
    for language, texts in sorted(item.get("translations", {}).items()):
        if not isinstance(texts, dict) or set(texts) - {"message", "action"} or not all(
            isinstance(texts.get(key, ""), str) for key in ("message", "action")
        ):
            raise TransferError(f'translation {language!r} must be {{"message": str, "action": str}}.')
        translation = ErrorCodeTranslation(
            language=language, message=texts.get("message", ""), action=texts.get("action", "")
        )
        _full_clean(translation, exclude=["error_code"], validate_unique=False, validate_constraints=False)
        translations.append((translation.language, translation.message, translation.action))
    if len({lang for lang, _, _ in translations}) != len(translations):
        raise TransferError("two translations have the same language.")
    return CodeRecord(
        code=row.code,
        fields=tuple((name, getattr(row, name)) for name in FIELDS),
        translations=tuple(sorted(translations)),
    )


def _full_clean(instance: Any, **kwargs: Any) -> None:
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        problems = "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in sorted(exc.message_dict.items())
        )
        raise TransferError(problems) from exc


def plan_import(records: dict[str, CodeRecord]) -> ImportPlan:
    """Compare the file with the database, without writing."""
    current = current_records()
    plan = ImportPlan(records=records)
    for code, record in sorted(records.items()):
        existing = current.get(code)
        if existing is None:
            plan.added.append(code)
        elif record != existing:
            plan.changed[code] = record.changes(existing)
        else:
            plan.unchanged.append(code)
    plan.removed = sorted(set(current) - set(records))
    return plan


def import_registry(text: str, *, dry_run: bool = False) -> ImportPlan:
    """Parse, compare, and (unless ``dry_run``) make the database registry equal to the file, atomically."""
    records = parse(text)
    with transaction.atomic():
        plan = plan_import(records)
        if dry_run or plan.is_empty:
            return plan
        rows = {row.code: row for row in ErrorCode.objects.select_for_update().filter(code__in=list(records))}
        for code in [*plan.added, *plan.changed]:
            _write(rows.get(code) or ErrorCode(code=code), plan.records[code])
        ErrorCode.objects.filter(code__in=plan.removed).delete()
    return plan


def _write(row: ErrorCode, record: CodeRecord) -> None:
    write_code(row, dict(record.fields), record.texts(), drop_other_translations=True)
