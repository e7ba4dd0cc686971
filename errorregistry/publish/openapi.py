"""OpenAPI for drf-spectacular (the ``errorregistry[openapi]`` extra): error responses from the registry.

One setting wires it in::

    REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "errorregistry.openapi.ErrorResponsesAutoSchema"

Each operation then lists the failures its view can really produce (content
negotiation, its parsers, authentication, permissions, throttles, filter
backends, paginator, URL parameters, and the business codes declared with
``@raises``), grouped under the status the registry gives each code, so an
admin who moves a code to another status moves it in the schema too. The
envelope component is registered by the schema class itself, derived from
what the configured formatter outputs, so a custom formatter is described as
well. The codes of a status are an open list: documented as examples, never a
closed enum, so a code added in the admin never makes a real response invalid.

The app's own catalog views are described here too (``OpenApiViewExtension``),
loaded by ``ErrorRegistryConfig.ready()`` whenever drf-spectacular is installed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.drainage import warn
from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, filters, pagination, permissions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.settings import api_settings

from errorregistry.conf import registry_settings
from errorregistry.decorators import RAISES_ATTRIBUTE
from errorregistry.envelope.formatters import (
    OPTIONAL_MEMBERS,
    PRESETS,
    BaseFormatter,
    RenderedError,
    get_formatter,
    status_phrase,
)
from errorregistry.envelope.resolution import resolve_exception
from errorregistry.publish.document import Code, markdown_text, plain_text
from errorregistry.publish.members import describe_member, member_path
from errorregistry.registry.declarations import INTERNAL_ERROR
from errorregistry.registry.store import Entry, registry
from errorregistry.schemas import envelope_schema

BODY_METHODS = ("POST", "PUT", "PATCH")
STANDARD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SAMPLE_CODE = "example_code"


# -- the envelope component ---------------------------------------------------------


def envelope_component_name(formatter: BaseFormatter | None = None) -> str:
    """``ErrorEnvelope``, ``DetailEnvelope``, ``StatusEnvelope``, ``ProblemEnvelope``, or ``<Custom>Envelope``."""
    formatter = formatter or get_formatter()
    name = type(formatter).__name__
    return (name.removesuffix("Formatter") or name) + "Envelope"


def envelope_component_schema(formatter: BaseFormatter | None = None) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of the configured envelope.

    A preset is described by its shipped JSON Schema (``errorregistry/schemas/``, in the
    configured key style), narrowed to the configured optional members, which it then
    always carries. A custom formatter is described from two sample outputs: the smallest
    possible error gives the required members, a fully loaded one the rest and their types.
    Either way each member's description is the one the reference page shows.
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
    preset = next((name for name, cls in PRESETS.items() if type(formatter) is cls), None)
    if preset is not None:
        schema = openapi30(envelope_schema(preset, formatter.key_style))
        _keep_optional_members(schema, formatter)
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


def _keep_optional_members(node: Any, formatter: BaseFormatter) -> None:
    """Drop the optional members the formatter does not output; require the ones it always does."""
    if isinstance(node, list):
        for item in node:
            _keep_optional_members(item, formatter)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    if isinstance(properties, dict):
        for member in OPTIONAL_MEMBERS:
            name = formatter.key(member)
            if name not in properties:
                continue
            if member in formatter.optional_members:
                node.setdefault("required", [])
                if name not in node["required"]:
                    node["required"].append(name)
            else:
                del properties[name]
    for value in node.values():
        _keep_optional_members(value, formatter)


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


# -- the responses of one operation ---------------------------------------------------

# Filter backends of DRF that never reject a query parameter.
LENIENT_FILTER_BACKENDS = (filters.SearchFilter, filters.OrderingFilter)


class ErrorResponsesAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus every error response the view can produce.

    Responses that the view declares itself (``@extend_schema(responses=...)``) win.
    """

    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any) -> Any:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        formatter = get_formatter()
        component = envelope_component(formatter)
        if component not in self.registry:
            component.schema = envelope_component_schema(formatter)
            self.registry.register_on_missing(component)
        responses = operation.setdefault("responses", {})
        errors = error_responses(self.possible_error_codes(), self.status_overrides(), component.ref)
        for status, response in errors.items():
            responses.setdefault(status, response)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def possible_error_codes(self) -> list[str]:
        """The registry codes this operation can answer with, in a stable order."""
        view = self.view
        codes: list[str] = []
        # Content negotiation: an Accept header that no renderer satisfies.
        codes.append(code_of(exceptions.NotAcceptable()))
        if api_settings.URL_FORMAT_OVERRIDE:
            # ?format= naming no renderer: DRF raises Http404.
            codes.append(code_of(exceptions.NotFound()))
        has_body = self.method in BODY_METHODS and bool(view.get_parsers())
        if has_body:
            codes += [code_of(exceptions.ParseError()), code_of(exceptions.ValidationError({}))]
            codes.append(code_of(exceptions.UnsupportedMediaType("")))
            # A body over DATA_UPLOAD_MAX_MEMORY_SIZE (JSON or form).
            codes.append(code_of(RequestDataTooBig()))
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
        if self.rejecting_filter_backends():
            # django-filter and the like answer a bad filter value with a ValidationError.
            codes.append(code_of(exceptions.ValidationError({})))
        if self.paginator_rejects_pages():
            codes.append(code_of(exceptions.NotFound()))
        if set(STANDARD_METHODS) - {m.upper() for m in view.allowed_methods}:
            # The same URL called with a method the view lacks.
            codes.append(code_of(exceptions.MethodNotAllowed(self.method)))
        if view.get_throttles():
            codes.append(code_of(exceptions.Throttled()))
        codes += self.declared_codes()
        codes.append(INTERNAL_ERROR)
        return list(dict.fromkeys(codes))

    def rejecting_filter_backends(self) -> list[Any]:
        """Filter backends that can reject a query; they run on lists and on detail lookups alike."""
        backends = getattr(self.view, "filter_backends", None) or []
        if not (self._is_list_view() or "{" in self.path) or self.method not in ("GET", "PUT", "PATCH", "DELETE"):
            return []
        return [b for b in backends if not (isinstance(b, type) and issubclass(b, LENIENT_FILTER_BACKENDS))]

    def paginator_rejects_pages(self) -> bool:
        """Page-number and cursor paginators answer an invalid page or cursor with 404; limit/offset never fails."""
        if self.method != "GET" or not self._is_list_view():
            return False
        paginator = self._get_paginator()
        return paginator is not None and not isinstance(paginator, pagination.LimitOffsetPagination)

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


def error_responses(
    codes: list[str], overrides: dict[str, int] | None = None, envelope_ref: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """``{"404": {description, headers, content}}`` for ``codes``, grouped by their registry status
    (or by ``overrides``, for the statuses DRF decides at run time).

    Like the catalog, only active codes are published.
    """
    by_status: dict[int, list[Entry]] = {}
    for code in codes:
        entry = registry.get(code)
        if entry is None:
            warn(f'errorregistry: code "{code}" is declared with @raises but is not in the registry')
            continue
        if not entry.is_active:
            continue
        by_status.setdefault((overrides or {}).get(code, entry.http_status), []).append(entry)
    envelope_ref = envelope_ref or envelope_component().ref
    return {
        str(status): error_response(status, entries, envelope_ref) for status, entries in sorted(by_status.items())
    }


def error_response(status: int, entries: list[Entry], envelope_ref: dict[str, str]) -> dict[str, Any]:
    """One status: the envelope, the known codes as an open list (description and one example each)."""
    formatter = get_formatter()
    entries = sorted(entries, key=lambda e: e.code)
    known = ", ".join(markdown_text((Code(e.code),)) for e in entries)
    code_schema: dict[str, Any] = {
        "type": "string",
        "description": f"Known codes for this status: {known}. The list is open: other codes may be added "
        "to the registry at any time, so handle an unknown code like the status itself.",
        "example": entries[0].code,
    }
    sample = formatter.format(RenderedError(code=SAMPLE_CODE, status=status, message="m", request_id="req_x"))
    path = member_path(sample, "code") or ("code",)
    narrowed: dict[str, Any] = code_schema
    for key in reversed(path):
        narrowed = {"type": "object", "properties": {key: narrowed}}
    headers: dict[str, Any] = {
        registry_settings.REQUEST_ID_HEADER: {
            "schema": {"type": "string"},
            "description": "The request ID: include it when contacting support.",
        }
    }
    if any(e.retry_after is not None or e.code == code_of(exceptions.Throttled()) for e in entries):
        headers["Retry-After"] = {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}
    # Admin-entered messages are data: escaped for Markdown (and so for the HTML it becomes).
    listed = "\n".join("- " + markdown_text((Code(e.code), ": ", e.message)) for e in entries)
    return {
        "description": f"{status_phrase(status, unnamed=f'HTTP {status}')}.\n\n{listed}",
        "headers": headers,
        "content": {
            formatter.content_type: {
                "schema": {"allOf": [envelope_ref, narrowed]},
                "examples": {entry.code: {"summary": entry.code, "value": example_body(formatter, status, entry)}
                             for entry in entries},
            }
        },
    }


def example_body(formatter: BaseFormatter, status: int, entry: Entry) -> dict[str, Any]:
    """What a client receives for ``entry``, in the default language."""
    rendered = RenderedError.from_entry(
        entry,
        status=status,
        message=entry.message,
        action=entry.action,
        request_id="req_01J8Z3K4M5N6P7Q8R9S0T1V2W3",
        instance="/api/",
    )
    return formatter.format(rendered)


# -- the app's own views ------------------------------------------------------------------


class ErrorCatalogEntrySerializer(serializers.Serializer):
    """Describes one item of ``errorregistry.views.catalog_item`` (the schema only; the view builds dicts)."""

    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    http_status = serializers.IntegerField(min_value=400, max_value=599)
    category = serializers.CharField()
    retryable = serializers.BooleanField()
    retry_after = serializers.IntegerField(allow_null=True, min_value=0)
    message = serializers.CharField(allow_blank=True, help_text="In the requested language.")
    action = serializers.CharField(allow_blank=True, help_text="What to do about it, in the requested language.")
    docs_url = serializers.CharField(allow_blank=True)


CATALOG_PARAMETERS = [
    OpenApiParameter(
        "lang", OpenApiTypes.STR, OpenApiParameter.QUERY,
        description="Language of the texts; otherwise Accept-Language decides (cookies never do: the response is public).",
    ),
    OpenApiParameter(
        "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
        description="The ETag of a copy you hold: 304 without a body when it is still current.",
    ),
]
NOT_MODIFIED = OpenApiResponse(description="Not modified: the copy matching If-None-Match is current.")


class CatalogViewSchema(OpenApiViewExtension):
    target_class = "errorregistry.publish.views.CatalogView"

    def view_replacement(self) -> type:
        return extend_schema_view(
            get=extend_schema(
                operation_id="errorregistry_catalog_list",
                summary="Every active error code",
                parameters=CATALOG_PARAMETERS,
                responses={200: ErrorCatalogEntrySerializer(many=True), 304: NOT_MODIFIED},
            )
        )(type(self.target.__name__, (self.target,), {}))


class CatalogDetailViewSchema(OpenApiViewExtension):
    target_class = "errorregistry.publish.views.CatalogDetailView"

    def view_replacement(self) -> type:
        return extend_schema_view(
            get=extend_schema(
                operation_id="errorregistry_catalog_retrieve",
                summary="One active error code",
                parameters=CATALOG_PARAMETERS,
                responses={200: ErrorCatalogEntrySerializer, 304: NOT_MODIFIED},
            )
        )(type(self.target.__name__, (self.target,), {}))
