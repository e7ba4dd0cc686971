"""Build the error response: registry entry -> client's language -> formatter -> headers.

The same function answers DRF views (through the exception handler) and non-DRF
failures under the API prefixes (through the middleware). What the client received
travels with the response it returns (``response.error_outcome``), for the audit.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponseBase
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from errorregistry.conf import registry_settings
from errorregistry.envelope.formatters import RenderedError, get_formatter, status_phrase
from errorregistry.envelope.language import as_django_spells_it, client_language
from errorregistry.envelope.outcome import ErrorOutcome, qualified_name
from errorregistry.envelope.resolution import STATUS_CODES, ResolvedError, original_detail
from errorregistry.envelope.text import PLACEHOLDER, fill_placeholders, missing_placeholders, utf8
from errorregistry.integrations import observe
from errorregistry.registry.declarations import INTERNAL_ERROR, builtin_name
from errorregistry.registry.store import Entry, registry
from errorregistry.request_id import get_request_id
from errorregistry.trace import request_trace

logger = logging.getLogger("errorregistry")

_warned_unknown_codes: set[str] = set()
_warned_unfilled_codes: set[str] = set()

# One encoder for every response: building a JSONEncoder per call shows up on the error path.
_encoder = DjangoJSONEncoder(ensure_ascii=False)


class ErrorResponse(Response):
    """The envelope as a DRF ``Response``: its body is ``.data`` until it is rendered, so a
    project's handler that wraps ours (``response.data[...] = ...``, as DRF documents) changes
    what the client gets; ``.error_outcome`` is what the audit records.

    A plain JSON renderer (or none: a non-DRF failure, rendered by the middleware) gets the
    envelope encoded as always, with the formatter's content type (``application/problem+json``
    for the ``problem`` preset); any other negotiated renderer (the browsable API's HTML page,
    a project's camelCase or XML renderer) renders ``.data`` itself.
    """

    def __init__(
        self, data: dict[str, Any], *, status: int, content_type: str, outcome: ErrorOutcome | None = None
    ) -> None:
        super().__init__(data, status=status, exception=True)
        self.envelope_content_type = content_type if "charset" in content_type else f"{content_type}; charset=utf-8"
        self.error_outcome = outcome

    @property
    def rendered_content(self) -> bytes:
        vary_on_language(self)
        renderer = getattr(self, "accepted_renderer", None)
        if renderer is None or encodes_as_envelope(renderer):
            self["Content-Type"] = self.envelope_content_type
            return utf8(_encoder.encode(self.data))
        return super().rendered_content


def vary_on_language(response: HttpResponseBase) -> None:
    """``Vary: Accept-Language``, the body being in the client's language, merged into what is there.

    Done when the envelope is rendered, once DRF's ``finalize_response`` has added the view's
    own ``Vary`` (``Accept``): set earlier, the two made two merges through ``patch_vary_headers``
    on every error response (~1.5% of its instructions)."""
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Accept-Language"
    elif not {name.strip().lower() for name in vary.split(",")} & {"accept-language", "*"}:
        response.headers["Vary"] = f"{vary}, Accept-Language"


def encodes_as_envelope(renderer: BaseRenderer) -> bool:
    """DRF's own JSON renderer, not a subclass that changes what ``render`` writes."""
    return isinstance(renderer, JSONRenderer) and type(renderer).render is JSONRenderer.render


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


@lru_cache(maxsize=512)
def stable_title(message_template: str, status: int) -> str:
    """RFC 9457's ``title``, the same for every occurrence of a code: its text when that has no
    placeholder to fill, else the status's reason phrase."""
    if PLACEHOLDER.search(message_template):
        return status_phrase(status, unnamed=message_template)
    return message_template


def complete_texts(
    code: str, status: int, language: str | None, texts: tuple[str, str, str], details: dict[str, Any]
) -> tuple[str, str, str]:
    """Texts with no unfilled ``{name}``: a text whose placeholder has no value in ``details``
    is replaced by the generic code's for the status (``permission_denied``'s for a 403), or by
    the status phrase ("Payment Required."), so a client never reads a raw placeholder.
    Logged once per code."""
    message, action, message_language = texts
    if code not in _warned_unfilled_codes:
        _warned_unfilled_codes.add(code)
        logger.warning(
            "errorregistry: code %r was raised without a value for %s; the client got a generic text instead. "
            "Pass the value in details, or change the text in the admin",
            code,
            ", ".join(f"{{{name}}}" for name in [*missing_placeholders(message, details), *missing_placeholders(action, details)]),
        )
    generic = STATUS_CODES.get(status) or (INTERNAL_ERROR if status >= 500 else None)
    generic = builtin_name(generic) if generic else None
    fallbacks = [registry.get(generic)] if generic and generic != code else []
    fallback_texts = [entry.texts(language) for entry in fallbacks if entry is not None]
    if missing_placeholders(message, details):
        usable = [t for t in fallback_texts if not missing_placeholders(t[0], details)]
        message, message_language = (usable[0][0], usable[0][2]) if usable else (status_phrase(status, "Error") + ".", message_language)
    if missing_placeholders(action, details):
        usable = [t for t in fallback_texts if not missing_placeholders(t[1], details)]
        action = usable[0][1] if usable else ""
    return message, action, message_language


def render_error(request: HttpRequest, resolved: ResolvedError) -> ErrorResponse:
    """The envelope for ``resolved``, with its outcome attached (``response.error_outcome``)."""
    entry, unknown = lookup_entry(resolved.code)
    status = resolved.status or entry.http_status
    language = client_language(request)
    message_template, action, message_language = entry.texts(language)
    details = resolved.details
    if status < 500 and "detail" not in details and "{detail}" in message_template:
        # The registry entry asks for DRF's own text (a permission class's message): filled now,
        # so the audit's re-filling from redacted details finds nothing left to fill.
        detail = original_detail(resolved.exception)
        if detail:
            message_template = fill_placeholders(message_template, {"detail": detail})
    unfilled = bool(missing_placeholders(message_template, details) or missing_placeholders(action, details))
    if unfilled:
        message_template, action, message_language = complete_texts(
            resolved.code, status, language, (message_template, action, message_language), details
        )
    message = message_template
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
    exception = resolved.exception
    outcome = ErrorOutcome(
        rendered, message_template=message_template, unknown_code=unknown, entry=entry, unfilled_placeholder=unfilled,
        exception=exception if status >= 500 else None,
        exception_class=qualified_name(exception),
        diagnostic=original_detail(exception) if status < 500 else "",
    )
    formatter = get_formatter()
    response = ErrorResponse(
        formatter.format(rendered), status=status, content_type=formatter.content_type, outcome=outcome
    )
    response[registry_settings.REQUEST_ID_HEADER] = request_id
    response["Content-Language"] = as_django_spells_it(message_language)
    # The body carries this request's ID: never shared (``Vary`` is added when it is rendered).
    response["Cache-Control"] = "private, no-store"
    if rendered.retry_after is not None:
        response["Retry-After"] = str(rendered.retry_after)
    for name, value in resolved.headers.items():
        response[name] = value
    observe.error_rendered(outcome)  # before a crash is reported: Sentry's event then carries the code
    return response
