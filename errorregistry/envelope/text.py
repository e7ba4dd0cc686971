"""Text handled as data: admin-entered placeholders filled without evaluation, links vetted,
client-supplied strings made encodable."""

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


def missing_placeholders(text: str, values: Mapping[str, Any] | None) -> list[str]:
    """The ``{name}`` placeholders of ``text`` that ``values`` leaves unfilled: sent as they
    are, a client would read a raw ``{name}``."""
    if "{" not in text:
        return []
    return [name for name in PLACEHOLDER.findall(text) if not values or name not in values]


def _as_text(value: Any) -> str:
    """Strings as they are; anything else as its ``str()``, capped at 200 characters."""
    return value if isinstance(value, str) else str(value)[:200]


def is_web_url(value: str) -> bool:
    """Only http(s) links become clickable: a stored ``javascript:`` URL stays text."""
    return value.lower().startswith(("https://", "http://"))


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, encoded once; lone surrogates (``"\\ud800"`` in a client's JSON,
    echoed by a validation message) become U+FFFD instead of failing the response."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return well_formed(text).encode("utf-8")


def well_formed(text: str) -> str:
    """``text`` with lone surrogates (``"\\ud800"`` in a client's JSON, echoed by a validation
    message) replaced by U+FFFD, so that it can be encoded as UTF-8 and stored."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
