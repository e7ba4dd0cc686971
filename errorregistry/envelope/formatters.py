"""Envelope formatters: one object turns a rendered error into the response body.

Every failure, DRF or not, goes through the same formatter, so switching the
``ENVELOPE`` preset changes every response at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string
from rest_framework.settings import api_settings

from errorregistry.conf import derived_from_settings, registry_settings
from errorregistry.envelope.anchor import reference_anchor
from errorregistry.envelope.template import (
    DEFAULT_FIELD_ERRORS,
    OPTIONAL_MEMBERS,
    CompiledEnvelope,
    camel,
    preset_template,
)

if TYPE_CHECKING:
    from errorregistry.registry.store import Entry


class ReferenceType:
    """RFC 9457's ``type`` of a ``RenderedError``: ``about:blank`` unless given; given as None, the
    code's row on the reference page, looked up (``reference_anchor``) on first read, so envelopes
    that do not show ``type`` never pay for the URL lookup."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, error: RenderedError | None, owner: type | None = None) -> str:
        if error is None:
            return "about:blank"  # the dataclass default
        value = error.__dict__[self.slot]
        if value is None:
            value = error.__dict__[self.slot] = reference_anchor(error.code)
        return value

    def __set__(self, error: RenderedError, value: str | None) -> None:
        error.__dict__[self.slot] = value


@dataclass
class RenderedError:
    """Everything a formatter may show about one error, already translated and filled."""

    code: str
    status: int
    message: str
    request_id: str
    action: str = ""
    retryable: bool = False
    retry_after: int | None = None
    docs_url: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] | None = None
    instance: str = ""
    language: str = ""
    title: str = ""
    type: str = ReferenceType()  # type: ignore[assignment]  # a str on every read
    category: str = ""
    trace_id: str = ""  # the request's W3C trace, when it was traced

    def __post_init__(self) -> None:
        # Built by hand (a custom handler, a test): the message stands in for the stable title.
        self.title = self.title or self.message

    @classmethod
    def from_entry(
        cls,
        entry: Entry,
        *,
        message: str,
        action: str,
        request_id: str,
        code: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        details: dict[str, Any] | None = None,
        errors: list[dict[str, Any]] | None = None,
        instance: str = "",
        language: str = "",
        title: str = "",
        trace_id: str = "",
    ) -> RenderedError:
        """The error as a client sees ``entry`` with these texts: the one place an entry's
        contract (status, retry hints, docs link) becomes a formatter's input. ``code``,
        ``status`` and ``retry_after`` override the entry's (an unknown code borrows the
        internal error's texts; ``Throttled.wait`` beats the code's ``retry_after``)."""
        return cls(
            code=code or entry.code,
            status=status or entry.http_status,
            message=message,
            request_id=request_id,
            action=action,
            retryable=entry.retryable,
            retry_after=retry_after if retry_after is not None else entry.retry_after,
            docs_url=entry.docs_url,
            details=details if details is not None else {},
            errors=errors,
            instance=instance,
            language=language,
            title=title or message,
            type=entry.docs_url or None,  # None: the code's anchor, looked up when read
            category=entry.category,
            trace_id=trace_id,
        )


def details_with_field_errors(error: RenderedError) -> dict[str, Any]:
    """A copy of the raiser's details, plus the field errors of a validation failure under ``errors``."""
    details = dict(error.details)
    if error.errors:
        details["errors"] = error.errors
    return details


class BaseFormatter(ABC):
    """Subclass and point ``ERROR_REGISTRY["ENVELOPE"]`` at the class to plug your own envelope.

    To be described by the generated docs, JSON Schema and OpenAPI, a custom class declares
    ``json_schema`` (a draft 2020-12 schema of its bodies) and may override ``example``;
    without ``json_schema`` the docs say they cannot describe its envelope."""

    content_type = "application/json"
    json_schema: dict[str, Any] | None = None

    def __init__(self, key_style: str = "snake", optional_members: tuple[str, ...] = ()) -> None:
        self.key_style = key_style
        self.optional_members = tuple(m for m in OPTIONAL_MEMBERS if m in optional_members)

    def key(self, name: str) -> str:
        return camel(name) if self.key_style == "camel" else name

    @abstractmethod
    def format(self, error: RenderedError) -> dict[str, Any]:
        """The response body for ``error``."""

    def example(self, error: RenderedError) -> dict[str, Any]:
        """The body the reference page shows for ``error`` (the real one by default)."""
        return self.format(error)

    def error_object(self, error: RenderedError) -> dict[str, Any]:
        """The ``{code, message, request_id, [optional], [details]}`` object of the presets, for subclasses."""
        body: dict[str, Any] = {"code": error.code, "message": error.message, self.key("request_id"): error.request_id}
        for member in self.optional_members:
            body[self.key(member)] = getattr(error, member)
        details = self.details(error)
        if details:
            body["details"] = details
        return body

    def details(self, error: RenderedError) -> dict[str, Any]:
        """The raiser's details, plus the field errors of a validation failure under ``errors``."""
        return details_with_field_errors(error)


class TemplateFormatter(BaseFormatter):
    """The envelope as a template (``errorregistry.envelope.template``): every preset, and any
    template set in ``ERROR_REGISTRY["ENVELOPE"]``."""

    preset = ""

    def __init__(
        self,
        template: dict[str, Any] | None = None,
        field_errors: Any = None,
        key_style: str = "snake",
        optional_members: tuple[str, ...] = (),
    ) -> None:
        super().__init__(key_style=key_style, optional_members=optional_members)
        self.template = template if template is not None else preset_template(self.preset, key_style, self.optional_members)
        self.field_errors = field_errors if field_errors is not None else DEFAULT_FIELD_ERRORS
        self.compiled = CompiledEnvelope(self.template, self.field_errors)
        # A subclass that adds sources of its own overrides ``values``; the others read the error directly.
        self.reads_error_directly = type(self).values is TemplateFormatter.values

    def format(self, error: RenderedError) -> dict[str, Any]:
        if self.reads_error_directly:
            return self.compiled.fill_error(error)
        return self.compiled.fill(self.values(error))

    def values(self, error: RenderedError) -> Callable[[str], Any]:
        return self.compiled.values(error)


class ErrorFormatter(TemplateFormatter):
    """``{"error": {...}}``: the default."""

    preset = "error"


class DetailFormatter(TemplateFormatter):
    """``{"detail": {...}}``, the shape of DRF-style APIs."""

    preset = "detail"


class StatusFormatter(TemplateFormatter):
    """``{"status": "error", "data": null, "error": {...}}``, for APIs that wrap every response."""

    preset = "status"


class ProblemFormatter(TemplateFormatter):
    """RFC 9457 problem details, with the registry code and request ID as extension members:
    ``title`` is stable per code, ``type`` the code's docs URL or its anchor on the reference page."""

    preset = "problem"
    content_type = "application/problem+json"


class StandardizedErrorsFormatter(TemplateFormatter):
    """drf-standardized-errors' documented format: ``{"type": "validation_error" | "client_error" |
    "server_error", "errors": [{"code", "detail", "attr"}]}``; a failure that is not a validation
    error is one item, its registry code with ``attr: null``."""

    preset = "drf-standardized-errors"
    ITEM = {"code": "$code", "detail": "$message", "attr": "$field"}

    def __init__(self, template: dict[str, Any] | None = None, field_errors: Any = None, **kwargs: Any) -> None:
        # The format fixes its item shape: FIELD_ERRORS does not apply.
        super().__init__(template, self.ITEM, **kwargs)

    def values(self, error: RenderedError) -> Callable[[str], Any]:
        base = super().values(error)

        def value(source: str) -> Any:
            if source == "error_type":
                if error.errors:
                    return "validation_error"
                return "server_error" if error.status >= 500 else "client_error"
            if source == "errors":
                if error.errors:
                    named = [dict(e, field=e["field"] or api_settings.NON_FIELD_ERRORS_KEY) for e in error.errors]
                    return self.compiled.field_errors(named)
                return self.compiled.field_errors([{"field": None, "code": error.code, "message": error.message}])
            return base(source)

        return value


PRESETS: dict[str, type[TemplateFormatter]] = {
    "error": ErrorFormatter,
    "detail": DetailFormatter,
    "status": StatusFormatter,
    "problem": ProblemFormatter,
    "drf-standardized-errors": StandardizedErrorsFormatter,
}


@derived_from_settings
def get_formatter() -> BaseFormatter:
    """The configured formatter, built once per value of the settings."""
    envelope, layout = registry_settings.ENVELOPE, registry_settings.FIELD_ERRORS
    key_style, optional_members = registry_settings.KEY_STYLE, tuple(registry_settings.OPTIONAL_MEMBERS)
    if not isinstance(envelope, str):
        return TemplateFormatter(envelope, layout)
    if envelope in PRESETS:
        return PRESETS[envelope](field_errors=layout, key_style=key_style, optional_members=optional_members)
    formatter_class = import_string(envelope)
    if issubclass(formatter_class, TemplateFormatter):
        return formatter_class(field_errors=layout, key_style=key_style, optional_members=optional_members)
    return formatter_class(key_style=key_style, optional_members=optional_members)


def status_phrase(status: int, unnamed: str = "") -> str:
    """The standard reason phrase of ``status`` (``unnamed`` for a status HTTP does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return unnamed


def status_line(status: int) -> str:
    """``HTTP/1.1 404 Not Found``, as the support console and the code preview show it."""
    return f"HTTP/1.1 {status} {status_phrase(status)}".rstrip()
