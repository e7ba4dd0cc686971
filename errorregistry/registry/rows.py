"""``ErrorCode`` rows as data: read, compared, written, in one place for sync and export/import.

``differences`` is the one diff (sync reports it with values, an import plan with
names); ``write_code`` the one writer (sync seeds a row, an import replaces it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from errorregistry.models import ErrorCode, ErrorCodeTranslation

Texts = Mapping[str, tuple[str, str]]


@dataclass(frozen=True)
class Difference:
    """One field (``http_status``) or translation (``translation fr``) whose values differ."""

    name: str
    ours: Any
    theirs: Any


def differences(
    ours: Mapping[str, Any], our_texts: Texts, theirs: Mapping[str, Any], their_texts: Texts
) -> list[Difference]:
    """Fields in ``ours``' order, then translations by language; a missing side is None."""
    found = [
        Difference(name, ours.get(name), theirs.get(name))
        for name in _union(ours, theirs)
        if ours.get(name) != theirs.get(name)
    ]
    for language in sorted(set(our_texts) | set(their_texts)):
        mine, other = _texts(our_texts.get(language)), _texts(their_texts.get(language))
        if mine != other:
            found.append(Difference(f"translation {language}", mine, other))
    return found


def _union(ours: Iterable[str], theirs: Iterable[str]) -> list[str]:
    names = list(ours)
    return names + [name for name in theirs if name not in names]


def _texts(value: Any) -> tuple[str, str] | None:
    return None if value is None else tuple(value)


def row_fields(row: ErrorCode, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def row_texts(row: ErrorCode) -> dict[str, tuple[str, str]]:
    """language -> (message, action), from the row's (prefetched) translations."""
    return {t.language: (t.message, t.action) for t in row.translations.all()}


def write_code(
    row: ErrorCode,
    fields: Mapping[str, Any],
    translations: Texts,
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
