"""Build the error response: registry entry -> client's language -> formatter -> headers.

The same function answers DRF views (through the exception handler) and
non-DRF failures under the API prefixes (through the middleware).
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from errorregistry.catalog import INTERNAL_ERROR
from errorregistry.conf import registry_settings
from errorregistry.formatters import RenderedError, get_formatter
from errorregistry.registry import Entry, registry
from errorregistry.request_id import get_request_id
from errorregistry.resolution import ResolvedError
from errorregistry.templating import fill_placeholders

logger = logging.getLogger("errorregistry")

_warned_unknown_codes: set[str] = set()


# One encoder for every response: building a JSONEncoder per call shows up on the error path.
_encoder = DjangoJSONEncoder(ensure_ascii=False)


class ErrorResponse(HttpResponse):
    """A JSON error response that also keeps its body as ``.data``, like DRF's Response."""

    def __init__(self, data: dict[str, Any], *, status: int, content_type: str) -> None:
        super().__init__(
            utf8(_encoder.encode(data)),
            status=status,
            content_type=content_type if "charset" in content_type else f"{content_type}; charset=utf-8",
        )
        self.data = data


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


@dataclass
class ErrorOutcome:
    """What the client received, kept on the request for the audit written after the response."""

    request_id: str
    code: str
    status: int
    message: str
    language: str
    message_template: str = ""
    unknown_code: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    exception_class: str = ""
    traceback: str = ""
    entry: Entry | None = None


def client_language(request: HttpRequest, requested: str | None = None) -> str:
    """The client's language among ``settings.LANGUAGES``.

    An explicit choice (``?lang=``) wins when it is supported; then the language
    LocaleMiddleware chose, if it ran; then Django's own choice from the language
    cookie and the Accept-Language header (remembered per header value: parsing it
    on every error response costs more than the rest of the choice).
    """
    if requested:
        supported = supported_language(requested)
        if supported:
            return supported
    language = getattr(request, "LANGUAGE_CODE", None)
    if language:
        return language
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return translation.get_language_from_request(request) or settings.LANGUAGE_CODE
    accept = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    language = _language_by_accept_header.get(accept)
    if language is None:
        language = translation.get_language_from_request(request) or settings.LANGUAGE_CODE
        if len(_language_by_accept_header) >= 1024:  # headers are the client's to choose
            _language_by_accept_header.clear()
        _language_by_accept_header[accept] = language
    return language


_language_by_accept_header: dict[str, str] = {}


@receiver(setting_changed)
def _forget_languages(*, setting: str, **kwargs: Any) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LANGUAGE_COOKIE_NAME"):
        _language_by_accept_header.clear()


def supported_language(requested: str) -> str | None:
    """The best of ``settings.LANGUAGES`` for ``requested`` (``fr-ca`` -> ``fr``), or None."""
    try:
        return translation.get_supported_language_variant(requested.strip().lower()[:15])
    except LookupError:
        return None


def lookup_entry(code: str) -> tuple[Entry, bool]:
    """The registry entry for ``code``; an unknown code borrows the internal error's texts."""
    entry = registry.get(code)
    if entry is not None:
        return entry, False
    if code not in _warned_unknown_codes:
        _warned_unknown_codes.add(code)
        logger.warning("errorregistry: code %r was raised but is not in the registry; add it in the admin", code)
    fallback = registry.get(INTERNAL_ERROR)
    assert fallback is not None  # built-in, always declared
    return fallback, True


def render_error(request: HttpRequest, resolved: ResolvedError) -> ErrorResponse:
    entry, unknown = lookup_entry(resolved.code)
    status = resolved.status or entry.http_status
    language = client_language(request)
    message_template, action, message_language = entry.texts(language)
    message = message_template
    details = resolved.details
    if details:
        message = fill_placeholders(message_template, details)
        action = fill_placeholders(action, details)
    retry_after = resolved.retry_after if resolved.retry_after is not None else entry.retry_after

    request_id = get_request_id(request)
    rendered = RenderedError(
        code=resolved.code,
        status=status,
        message=message,
        request_id=request_id,
        action=action,
        retryable=entry.retryable,
        retry_after=retry_after,
        docs_url=entry.docs_url,
        details=details,
        errors=resolved.errors,
        instance=request.path,
        language=message_language,
    )
    formatter = get_formatter()
    response = ErrorResponse(formatter.format(rendered), status=status, content_type=formatter.content_type)
    response[registry_settings.REQUEST_ID_HEADER] = request_id
    response["Content-Language"] = message_language
    # The body depends on the client's language and carries this request's ID: never shared.
    response["Vary"] = "Accept-Language"
    response["Cache-Control"] = "private, no-store"
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    for name, value in resolved.headers.items():
        response[name] = value

    outcome = ErrorOutcome(
        request_id=request_id,
        code=resolved.code,
        status=status,
        message=message,
        message_template=message_template,
        language=message_language,
        unknown_code=unknown,
        details=dict(details, errors=resolved.errors) if resolved.errors else dict(details),
        entry=entry,
    )
    exc = resolved.exception
    if exc is not None:
        outcome.exception_class = f"{type(exc).__module__}.{type(exc).__qualname__}"
        if status >= 500:
            outcome.traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    request.errorregistry_outcome = outcome
    return response
