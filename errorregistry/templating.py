"""Admin-entered text, handled as data: placeholders filled without evaluation, links vetted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Only a bare identifier between single braces (not doubled); anything else stays literal.
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


def fill_placeholders(text: str, values: Mapping[str, Any] | None) -> str:
    """Replace ``{name}`` with ``str(values[name])``.

    ``{0}``, ``{x.__class__}``, ``{{``, unbalanced braces and unknown names are
    left as they are: the text is data typed by an admin, not a format string.
    """
    if not values or "{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return _as_text(values[name])
        return match.group(0)

    return PLACEHOLDER.sub(replace, text)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)) or value is None:
        return str(value)
    return str(value)[:200]


def is_web_url(value: str) -> bool:
    """Only http(s) links become clickable: a stored ``javascript:`` URL stays text."""
    return value.lower().startswith(("https://", "http://"))
