"""The envelope component of the OpenAPI schema: the configured formatter's output as OpenAPI 3.0.

A template (every preset is one) is described by the JSON Schema derived from it, converted;
a custom formatter by the schema it declares, else from its own sample output. Member
descriptions are the reference page's (``publish.members``).
"""


from __future__ import annotations

from typing import Any

from drf_spectacular.plumbing import ResolvedComponent

from errorregistry.envelope.formatters import (
    BaseFormatter,
    RenderedError,
    get_formatter,
)
from errorregistry.publish.document import plain_text
from errorregistry.publish.members import describe_member
from errorregistry.schemas import configured_schema

SAMPLE_CODE = "example_code"


# -- the envelope component ---------------------------------------------------------


def envelope_component_name(formatter: BaseFormatter | None = None) -> str:
    """``ErrorEnvelope``, ``DetailEnvelope``, ``StatusEnvelope``, ``ProblemEnvelope``, or ``<Custom>Envelope``."""
    formatter = formatter or get_formatter()
    name = type(formatter).__name__
    return (name.removesuffix("Formatter") or name) + "Envelope"


def envelope_component_schema(formatter: BaseFormatter | None = None) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of the configured envelope.

    A template (a preset or ``ENVELOPE`` written as a template) is described by the JSON Schema
    derived from it (``errorregistry.schemas.configured_schema``), which requires exactly the
    members it always carries; a custom formatter by its declared ``json_schema``, else from two
    sample outputs: the smallest possible error gives the required members, a fully loaded one
    the rest and their types. Either way each member's description is the one the reference
    page shows.
    """
    formatter = formatter or get_formatter()
    loaded = formatter.format(
        RenderedError(
            code=SAMPLE_CODE,
            status=400,
            message="m",
            request_id="req_x",
            action="a",
            retryable=True,
            retry_after=30,
            docs_url="https://example.com/errors",
            details={"name": "value"},
            errors=[{"field": "email", "code": "invalid", "message": "m"}],
            instance="/path/",
            language="en",
        )
    )
    derived = configured_schema(formatter)
    if derived is not None:
        schema = openapi30(derived)
        _describe(schema, loaded, formatter)
    else:
        smallest = formatter.format(RenderedError(code=SAMPLE_CODE, status=400, message="m", request_id="req_x"))
        schema = _schema_of(formatter, "", loaded, smallest)
    schema["description"] = f"The error envelope ({type(formatter).__name__}) of every error response."
    return schema


# OpenAPI 3.0 has no null type: "null only" is nullable + enum [null]. Enums go inside allOf so that
# drf-spectacular's enum hook (which lifts property enums into shared components) leaves them alone.
def _only(value: Any) -> dict[str, Any]:
    return {"nullable": True, "allOf": [{"enum": [None]}]} if value is None else {"allOf": [{"enum": [value]}]}


def openapi30(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema 2020-12 document (as shipped in ``errorregistry/schemas/``) as an OpenAPI 3.0 schema.

    Local ``$defs`` references are inlined; ``type: [T, "null"]`` becomes ``nullable``;
    ``const`` becomes a one-value enum; keywords OpenAPI 3.0 lacks are dropped.
    """
    definitions = schema.get("$defs", {})

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return convert(definitions[ref.removeprefix("#/$defs/")])
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("$schema", "$defs", "$id", "examples"):
                continue
            if key == "properties":
                out[key] = {name: convert(member) for name, member in value.items()}
            elif key == "const":
                out.update(_only(value))
            elif key == "type" and isinstance(value, list):
                others = [t for t in value if t != "null"]
                if len(others) == 1:
                    out["type"] = others[0]
                if "null" in value:
                    out["nullable"] = True
            elif key == "type" and value == "null":
                out.update(_only(None))
            else:
                out[key] = convert(value)
        return out

    return convert(schema)


def _describe(schema: dict[str, Any], sample: Any, formatter: BaseFormatter) -> None:
    """Give each envelope member the reference page's description (wrappers opened, ``details`` not)."""
    properties = schema.get("properties", {})
    if not isinstance(sample, dict):
        return
    for name, value in sample.items():
        member = properties.get(name)
        if member is None:
            continue
        description = plain_text(describe_member(formatter, name, value))
        if description:
            member["description"] = description
        if isinstance(value, dict) and name != "details":
            _describe(member, value, formatter)


def _schema_of(
    formatter: BaseFormatter, key: str, loaded: Any, smallest: Any, describe: bool = True
) -> dict[str, Any]:
    """Schema of one envelope value; ``describe`` is off inside lists, whose members are not envelope members."""
    if isinstance(loaded, dict):
        smallest = smallest if isinstance(smallest, dict) else {}
        properties = {}
        for name, value in loaded.items():
            properties[name] = _schema_of(formatter, name, value, smallest.get(name), describe)
            if name in smallest and smallest[name] is None and value is not None:
                properties[name]["nullable"] = True
            description = plain_text(describe_member(formatter, name, value)) if describe else ""
            if description:
                properties[name]["description"] = description
        if key == "details":
            # Free-form: whatever the raiser passed, plus the field errors of a validation failure.
            kept = {name: properties[name] for name in ("errors",) if name in properties}
            return {"type": "object", "properties": kept, "additionalProperties": True} if kept else {
                "type": "object", "additionalProperties": True
            }
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        required = [name for name in loaded if name in smallest]
        if required:
            schema["required"] = required
        return schema
    if isinstance(loaded, list):
        items = _schema_of(formatter, "", loaded[0], loaded[0], describe=False) if loaded else {}
        if items.get("properties", {}).get("field"):
            items["properties"]["field"]["nullable"] = True
        return {"type": "array", "items": items}
    if loaded is None:
        return _only(None)
    if isinstance(loaded, bool):
        schema = {"type": "boolean"}
    elif isinstance(loaded, int):
        schema = {"type": "integer"}
    elif isinstance(loaded, float):
        schema = {"type": "number"}
    else:
        schema = {"type": "string"}
    return schema


def envelope_component(formatter: BaseFormatter | None = None) -> ResolvedComponent:
    """The envelope as a drf-spectacular component (its schema is built only when registered)."""
    formatter = formatter or get_formatter()
    return ResolvedComponent(name=envelope_component_name(formatter), type=ResolvedComponent.SCHEMA, object=formatter)


def add_error_components(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Former postprocessing hook, no longer needed: the schema class registers the component.

    Kept so that settings which still list it keep working; it only adds the
    component when an operation refers to it and it is somehow missing.
    """
    formatter = get_formatter()
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if envelope_component_name(formatter) not in schemas and result.get("paths"):
        schemas[envelope_component_name(formatter)] = envelope_component_schema(formatter)
    return result
