"""The JSON Schema (draft 2020-12) of an envelope template, derived from the template itself.

Each source has one schema; a constant is a ``const``; a member is required when it can
never come out empty (a constant, ``$code``, ``$message``, ``$request_id``, ``$status``,
``$title``, ``$type``, or a ``!`` member). The presets' shipped ``*.json`` files are this
derivation written out (``python -m errorregistry.schemas.derive`` rewrites them; a test
keeps them equal), so no envelope is described by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from errorregistry.envelope.template import (
    DEFAULT_FIELD_ERRORS,
    OPTIONAL_MEMBERS,
    Expression,
    parse_expression,
    preset_template,
    uses,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# Sources that always have a value: a member made of one of them is always present.
NEVER_EMPTY = {"code", "message", "request_id", "status", "title", "type", "error_type", "errors"}

REQUEST_ID = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "pattern": "^[\\x21-\\x7e]+$",
    "description": "The request ID, equal to the X-Request-Id response header: a short printable-ASCII "
    "token (req_ + a ULID when minted here).",
}

SOURCE_SCHEMAS: dict[str, dict[str, Any]] = {
    "code": {"type": "string", "minLength": 1, "description": "The registry code: branch on this."},
    "message": {"type": "string", "description": "The registry's text in the client's language."},
    "request_id": {"$ref": "#/$defs/requestId"},
    "status": {"type": "integer", "minimum": 400, "maximum": 599},
    "title": {"type": "string", "description": "The same for every occurrence of the code."},
    "type": {"type": "string", "minLength": 1, "description": "The code's docs URL, or its anchor on the reference page."},
    "instance": {"type": "string", "description": "The request path."},
    "action": {"type": "string", "description": "What the client should do."},
    "retryable": {"type": "boolean", "description": "Whether retrying may succeed."},
    "retry_after": {"type": ["integer", "null"], "minimum": 0, "description": "Seconds to wait before retrying."},
    "docs_url": {"type": "string", "description": "Documentation of the code."},
    "category": {"type": "string", "minLength": 1},
    "language": {"type": "string", "description": "The language of the message."},
    "trace_id": {
        "type": "string",
        "pattern": "^[0-9a-f]{32}$",
        "description": "The W3C trace ID of this request (its traceparent, or the active OpenTelemetry span); "
        "left out when the request was not traced.",
    },
    "error_type": {"enum": ["validation_error", "client_error", "server_error"]},
    "errors": {"$ref": "#/$defs/fieldErrors"},
    "field_errors": {"$ref": "#/$defs/fieldErrors"},
}
ITEM_SCHEMAS: dict[str, dict[str, Any]] = {
    "field": {"type": ["string", "null"]},
    "pointer": {"type": "string"},
    "code": {"type": "string", "minLength": 1},
    "message": {"type": "string"},
}


def template_schema(
    template: dict[str, Any], field_errors: Any = None, *, title: str = "", description: str = ""
) -> dict[str, Any]:
    """The JSON Schema of the bodies ``template`` renders, field errors laid out as ``field_errors``."""
    field_errors = DEFAULT_FIELD_ERRORS if field_errors is None else field_errors
    definitions: dict[str, Any] = {"requestId": REQUEST_ID, **_field_error_defs(field_errors)}
    details: dict[str, Any] = {
        "type": "object",
        "minProperties": 1,
        "description": "Present only when there are details: the raiser's details"
        + ("." if uses(template, "field_errors") else ", and the field errors of a validation failure under errors."),
    }
    if not uses(template, "field_errors"):
        details["properties"] = {"errors": {"$ref": "#/$defs/fieldErrors"}}
    schema, _ = _node(template, {**SOURCE_SCHEMAS, "details": details})
    head: dict[str, Any] = {"$schema": DRAFT}
    if title:
        head["title"] = title
    if description:
        head["description"] = description
    return {**head, **schema, "$defs": definitions}


def _field_error_defs(layout: Any) -> dict[str, Any]:
    if layout == "map":
        return {
            "fieldErrors": {
                "type": "object",
                "description": "Each invalid field's dot path and its message.",
                "additionalProperties": {"type": "string"},
                "minProperties": 1,
            }
        }
    item, _ = _node(layout, ITEM_SCHEMAS, keep_all=True)
    item["description"] = "One validation failure."
    return {"fieldError": item, "fieldErrors": {"type": "array", "items": {"$ref": "#/$defs/fieldError"}, "minItems": 1}}


def _node(template: Any, sources: dict[str, Any], keep_all: bool = False) -> tuple[dict[str, Any], bool]:
    """(schema, always present) of one template value."""
    if isinstance(template, dict):
        properties: dict[str, Any] = {}
        required: list[str] = []
        for key, member in template.items():
            properties[key], present = _node(member, sources, keep_all)
            if present or keep_all:
                required.append(key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        else:
            schema["minProperties"] = 1
        schema["additionalProperties"] = False
        return schema, bool(required) or not _has_expression(template)
    if isinstance(template, str):
        expression = parse_expression(template)
        if expression is not None:
            return _expression(expression, sources)
    if isinstance(template, list):
        return {"const": template}, True
    return ({"type": "null"} if template is None else {"const": template}), True


def _expression(expression: Expression, sources: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    options = [dict(sources[source]) for source in expression.sources]
    schema = options[0] if len(options) == 1 else {"anyOf": options}
    present = expression.keep_empty or any(source in NEVER_EMPTY for source in expression.sources)
    return schema, present


def _has_expression(template: Any) -> bool:
    if isinstance(template, dict):
        return any(_has_expression(member) for member in template.values())
    if isinstance(template, list):
        return any(_has_expression(item) for item in template)
    return isinstance(template, str) and parse_expression(template) is not None


# -- the presets, written out ----------------------------------------------------------------

PRESET_TITLES = {
    "error": "errorregistry error envelope",
    "detail": "errorregistry detail envelope",
    "status": "errorregistry status envelope",
    "problem": "errorregistry problem details (RFC 9457, application/problem+json)",
    "drf-standardized-errors": "errorregistry drf-standardized-errors envelope",
}


def preset_schema(preset: str, key_style: str = "snake") -> dict[str, Any]:
    """A preset's schema: its optional members allowed, none required (OPTIONAL_MEMBERS may add them)."""
    from errorregistry.envelope.formatters import StandardizedErrorsFormatter

    template = preset_template(preset, key_style, OPTIONAL_MEMBERS)
    optional = {f"${m}!": f"${m}" for m in OPTIONAL_MEMBERS}
    template = _replace_values(template, optional)
    layout = StandardizedErrorsFormatter.ITEM if preset == "drf-standardized-errors" else DEFAULT_FIELD_ERRORS
    description = (
        f'The "{preset}" envelope preset (ERROR_REGISTRY["ENVELOPE"] = "{preset}") with {key_style}_case keys, '
        "derived from its template by errorregistry.schemas.derive."
    )
    return template_schema(template, layout, title=PRESET_TITLES[preset], description=description)


def _replace_values(node: Any, replacements: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: _replace_values(value, replacements) for key, value in node.items()}
    if isinstance(node, str):
        return replacements.get(node, node)
    return node


def write_preset_files(directory: Path) -> None:
    for preset in PRESET_TITLES:
        path = directory / f"{preset}.json"
        path.write_text(json.dumps(preset_schema(preset), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    write_preset_files(Path(__file__).resolve().parent)
