"""The error responses of one operation: what its view can really fail with, by status."""


from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, filters, pagination, permissions
from rest_framework.authentication import BaseAuthentication
from rest_framework.settings import api_settings

from errorregistry.conf import registry_settings
from errorregistry.decorators import RAISES_ATTRIBUTE
from errorregistry.envelope.formatters import (
    BaseFormatter,
    RenderedError,
    get_formatter,
    status_phrase,
)
from errorregistry.envelope.resolution import resolve_exception
from errorregistry.publish.document import Code, markdown_text
from errorregistry.publish.members import member_path
from errorregistry.publish.openapi.envelope import SAMPLE_CODE, envelope_component, envelope_component_schema
from errorregistry.registry.declarations import INTERNAL_ERROR, builtin_name
from errorregistry.registry.store import Entry, registry

BODY_METHODS = ("POST", "PUT", "PATCH")
STANDARD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


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
        codes.append(builtin_name(INTERNAL_ERROR))
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
