"""OpenAPI for drf-spectacular (the ``errorregistry[openapi]`` extra): error responses from the registry.

Two settings wire it in::

    REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "errorregistry.openapi.ErrorResponsesAutoSchema"
    SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "errorregistry.openapi.add_error_components",
    ]

Each operation then lists the failures its view can really produce (its
parsers, authentication, permissions, throttles, URL parameters, and the
business codes declared with ``@raises``), grouped under the status the
registry gives each code, so an admin who moves a code to another status
moves it in the schema too. The envelope component is derived from what
the configured formatter outputs, so a custom formatter is described as well.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication

from errorregistry.catalog import INTERNAL_ERROR
from errorregistry.conf import registry_settings
from errorregistry.decorators import RAISES_ATTRIBUTE
from errorregistry.formatters import BaseFormatter, RenderedError, get_formatter
from errorregistry.reference import describe_member, member_path, plain_text
from errorregistry.registry import Entry, registry
from errorregistry.resolution import resolve_exception

BODY_METHODS = ("POST", "PUT", "PATCH")
STANDARD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SAMPLE_CODE = "example_code"


# -- the envelope component ---------------------------------------------------------


def envelope_component_name(formatter: BaseFormatter | None = None) -> str:
    """``ErrorEnvelope``, ``DetailEnvelope``, ``StatusEnvelope``, ``ProblemEnvelope``, or ``<Custom>Envelope``."""
    formatter = formatter or get_formatter()
    name = type(formatter).__name__
    return (name.removesuffix("Formatter") or name) + "Envelope"


def envelope_schema(formatter: BaseFormatter | None = None) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of the configured envelope, inferred from two sample outputs.

    The smallest possible error gives the required members; a fully loaded one
    (details, field errors, every optional member) gives the rest and their types.
    """
    formatter = formatter or get_formatter()
    smallest = formatter.format(RenderedError(code=SAMPLE_CODE, status=400, message="m", request_id="req_x"))
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
    schema = _schema_of(formatter, "", loaded, smallest)
    schema["description"] = f"The error envelope ({type(formatter).__name__}) of every error response."
    return schema


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
        return {"nullable": True, "enum": [None]}
    if isinstance(loaded, bool):
        schema = {"type": "boolean"}
    elif isinstance(loaded, int):
        schema = {"type": "integer"}
    elif isinstance(loaded, float):
        schema = {"type": "number"}
    else:
        schema = {"type": "string"}
    return schema


def add_error_components(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the envelope component the error responses refer to."""
    formatter = get_formatter()
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[envelope_component_name(formatter)] = envelope_schema(formatter)
    return result


# -- the responses of one operation ---------------------------------------------------


class ErrorResponsesAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus every error response the view can produce.

    Responses that the view declares itself (``@extend_schema(responses=...)``) win.
    """

    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any) -> Any:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status, response in error_responses(self.possible_error_codes(), self.status_overrides()).items():
            responses.setdefault(status, response)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def possible_error_codes(self) -> list[str]:
        """The registry codes this operation can answer with, in a stable order."""
        view = self.view
        codes: list[str] = []
        has_body = self.method in BODY_METHODS and bool(view.get_parsers())
        if has_body:
            codes += [code_of(exceptions.ParseError()), code_of(exceptions.ValidationError({}))]
            codes.append(code_of(exceptions.UnsupportedMediaType("")))
        authenticators = view.get_authenticators()
        guarded = [p for p in view.get_permissions() if not self.is_open(p)]
        if authenticators:
            # Any credentials sent are checked, even on open views.
            codes.append(code_of(exceptions.AuthenticationFailed()))
            if guarded:
                codes.append(code_of(exceptions.NotAuthenticated()))
        if guarded:
            codes.append(code_of(exceptions.PermissionDenied()))
        if "{" in self.path:
            codes.append(code_of(exceptions.NotFound()))
        if set(STANDARD_METHODS) - {m.upper() for m in view.allowed_methods}:
            # The same URL called with a method the view lacks.
            codes.append(code_of(exceptions.MethodNotAllowed(self.method)))
        if view.get_throttles():
            codes.append(code_of(exceptions.Throttled()))
        codes += self.declared_codes()
        codes.append(INTERNAL_ERROR)
        return list(dict.fromkeys(codes))

    def status_overrides(self) -> dict[str, int]:
        """Like DRF, authentication failures are 403 when the first authenticator offers no challenge."""
        authenticators = self.view.get_authenticators()
        if authenticators and not offers_challenge(authenticators[0]):
            return {code_of(exceptions.NotAuthenticated()): 403, code_of(exceptions.AuthenticationFailed()): 403}
        return {}

    def declared_codes(self) -> list[str]:
        """Business codes declared with ``@raises`` on the view class or on this method's handler."""
        handler_name = getattr(self.view, "action", None) or self.method.lower()
        handler = getattr(self.view, handler_name, None)
        return [*getattr(type(self.view), RAISES_ATTRIBUTE, ()), *getattr(handler, RAISES_ATTRIBUTE, ())]

    def is_open(self, permission: Any) -> bool:
        if isinstance(permission, permissions.AllowAny):
            return True
        return isinstance(permission, permissions.IsAuthenticatedOrReadOnly) and self.method in permissions.SAFE_METHODS


def offers_challenge(authenticator: Any) -> bool:
    """True if it sends WWW-Authenticate (Basic, Token, ...); session auth does not."""
    return type(authenticator).authenticate_header is not BaseAuthentication.authenticate_header


def code_of(exc: Exception) -> str:
    """The code the handler gives this exception (so ``EXCEPTION_CODES`` overrides apply here too)."""
    return resolve_exception(exc).code


def error_responses(codes: list[str], overrides: dict[str, int] | None = None) -> dict[str, dict[str, Any]]:
    """``{"404": {description, headers, content}}`` for ``codes``, grouped by their registry status
    (or by ``overrides``, for the statuses DRF decides at run time)."""
    by_status: dict[int, list[Entry]] = {}
    for code in codes:
        entry = registry.get(code)
        if entry is None:
            warn(f'errorregistry: code "{code}" is declared with @raises but is not in the registry')
            continue
        by_status.setdefault((overrides or {}).get(code, entry.http_status), []).append(entry)
    return {str(status): error_response(status, entries) for status, entries in sorted(by_status.items())}


def error_response(status: int, entries: list[Entry]) -> dict[str, Any]:
    formatter = get_formatter()
    entries = sorted(entries, key=lambda e: e.code)
    code_schema: dict[str, Any] = {"type": "string", "enum": [e.code for e in entries]}
    sample = formatter.format(RenderedError(code=SAMPLE_CODE, status=status, message="m", request_id="req_x"))
    path = member_path(sample, "code") or ("code",)
    narrowed: dict[str, Any] = code_schema
    for key in reversed(path):
        narrowed = {"type": "object", "properties": {key: narrowed}}
    first = entries[0]
    example = formatter.format(
        RenderedError(
            code=first.code,
            status=status,
            message=first.message,
            request_id="req_01J8Z3K4M5N6P7Q8R9S0T1V2W3",
            action=first.action,
            retryable=first.retryable,
            retry_after=first.retry_after,
            docs_url=first.docs_url,
            instance="/api/",
        )
    )
    headers: dict[str, Any] = {
        registry_settings.REQUEST_ID_HEADER: {
            "schema": {"type": "string"},
            "description": "The request ID: include it when contacting support.",
        }
    }
    if any(e.retry_after is not None or e.code == code_of(exceptions.Throttled()) for e in entries):
        headers["Retry-After"] = {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}
    lines = [_status_phrase(status) + "."] + [f"- `{e.code}`: {e.message}" for e in entries]
    return {
        "description": "\n".join(lines),
        "headers": headers,
        "content": {
            formatter.content_type: {
                "schema": {"allOf": [{"$ref": f"#/components/schemas/{envelope_component_name(formatter)}"}, narrowed]},
                "example": example,
            }
        },
    }


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
