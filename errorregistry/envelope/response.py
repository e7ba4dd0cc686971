"""Build the error response: registry entry -> client's language -> formatter -> headers.

The same function answers DRF views (through the exception handler) and non-DRF
failures under the API prefixes (through the middleware). What the client received
travels with the response it returns (``response.error_outcome``), for the audit.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse

from errorregistry.conf import registry_settings
from errorregistry.envelope.formatters import RenderedError, get_formatter, status_phrase
from errorregistry.envelope.language import client_language
from errorregistry.envelope.outcome import ErrorOutcome
from errorregistry.envelope.resolution import ResolvedError
from errorregistry.envelope.text import PLACEHOLDER, fill_placeholders, utf8
from errorregistry.integrations import observe
from errorregistry.registry.declarations import INTERNAL_ERROR, builtin_name
from errorregistry.registry.store import Entry, registry
from errorregistry.request_id import get_request_id
from errorregistry.trace import request_trace

logger = logging.getLogger("errorregistry")

_warned_unknown_codes: set[str] = set()

# One encoder for every response: building a JSONEncoder per call shows up on the error path.
_encoder = DjangoJSONEncoder(ensure_ascii=False)


class ErrorResponse(HttpResponse):
    """A JSON error response that keeps its body as ``.data``, like DRF's Response, and
    what the client received as ``.error_outcome``, for the audit written after it."""

    def __init__(
        self, data: dict[str, Any], *, status: int, content_type: str, outcome: ErrorOutcome | None = None
    ) -> None:
        super().__init__(
            utf8(_encoder.encode(data)),
            status=status,
            content_type=content_type if "charset" in content_type else f"{content_type}; charset=utf-8",
        )
        self.data = data
        self.error_outcome = outcome


def lookup_entry(code: str) -> tuple[Entry, bool]:
    """The registry entry for ``code``; an unknown code borrows the internal error's texts."""
    entry = registry.get(code)
    if entry is not None:
        return entry, False
    if code not in _warned_unknown_codes:
        _warned_unknown_codes.add(code)
        logger.warning("errorregistry: code %r was raised but is not in the registry; add it in the admin", code)
    fallback = registry.get(builtin_name(INTERNAL_ERROR))
    assert fallback is not None  # built-in, always declared
    return fallback, True


def stable_title(message_template: str, status: int) -> str:
    """RFC 9457's ``title``, the same for every occurrence of a code: its text when that has no
    placeholder to fill, else the status's reason phrase."""
    if PLACEHOLDER.search(message_template):
        return status_phrase(status, unnamed=message_template)
    return message_template


def render_error(request: HttpRequest, resolved: ResolvedError) -> ErrorResponse:
    """The envelope for ``resolved``, with its outcome attached (``response.error_outcome``)."""
    entry, unknown = lookup_entry(resolved.code)
    status = resolved.status or entry.http_status
    message_template, action, message_language = entry.texts(client_language(request))
    message = message_template
    details = resolved.details
    if details:
        message = fill_placeholders(message_template, details)
        action = fill_placeholders(action, details)
    request_id = get_request_id(request)
    rendered = RenderedError.from_entry(
        entry,
        code=resolved.code,
        status=status,
        message=message,
        action=action,
        language=message_language,
        request_id=request_id,
        retry_after=resolved.retry_after,
        details=details,
        errors=resolved.errors,
        instance=request.path,
        title=stable_title(message_template, status),
        trace_id=trace.trace_id if (trace := request_trace(request)) is not None else "",
    )
    outcome = ErrorOutcome(
        rendered, message_template=message_template, unknown_code=unknown, exception=resolved.exception, entry=entry
    )
    formatter = get_formatter()
    response = ErrorResponse(
        formatter.format(rendered), status=status, content_type=formatter.content_type, outcome=outcome
    )
    response[registry_settings.REQUEST_ID_HEADER] = request_id
    response["Content-Language"] = message_language
    # The body depends on the client's language and carries this request's ID: never shared.
    response["Vary"] = "Accept-Language"
    response["Cache-Control"] = "private, no-store"
    if rendered.retry_after is not None:
        response["Retry-After"] = str(rendered.retry_after)
    for name, value in resolved.headers.items():
        response[name] = value
    observe.error_rendered(outcome)  # before a crash is reported: Sentry's event then carries the code
    return response
