"""The JSON Schema (draft 2020-12) of the envelope, derived from its template (``derive``).

``envelope_schema(preset, key_style)`` describes a preset (its optional members allowed);
``configured_schema()`` the envelope the settings configure: a template's schema, a preset's
with the configured optional members required, or the schema a custom formatter class declares
(``json_schema``), else None: such an envelope cannot be described. The ``*.json`` files beside
this module are the presets' derivation written out, for tools that read files::

    from errorregistry.schemas import envelope_schema
    jsonschema.validate(response.json(), envelope_schema("problem", "camel"))
"""

from __future__ import annotations

import copy
from typing import Any

from errorregistry.schemas.derive import PRESET_TITLES, preset_schema, template_schema

KEY_STYLES = ("snake", "camel")


def envelope_schema(preset: str, key_style: str = "snake") -> dict[str, Any]:
    """A fresh schema of ``preset`` ("error", "detail", "status", "problem", "drf-standardized-errors")."""
    if preset not in PRESET_TITLES:
        raise ValueError(f"Unknown envelope preset {preset!r}; choose one of {', '.join(PRESET_TITLES)}.")
    if key_style not in KEY_STYLES:
        raise ValueError(f"Unknown key style {key_style!r}; choose 'snake' or 'camel'.")
    return preset_schema(preset, key_style)


def configured_schema(formatter: Any = None) -> dict[str, Any] | None:
    """The schema of the configured envelope, or None when a custom formatter declares none."""
    from errorregistry.envelope.formatters import TemplateFormatter, get_formatter

    formatter = formatter or get_formatter()
    if isinstance(formatter, TemplateFormatter):
        return template_schema(
            formatter.template,
            formatter.field_errors,
            title="errorregistry error envelope",
            description=f"The error envelope ({type(formatter).__name__}) of every error response.",
        )
    declared = getattr(formatter, "json_schema", None)
    return copy.deepcopy(declared) if declared else None
