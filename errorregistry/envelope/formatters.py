"""Envelope formatters: one object turns a rendered error into the response body.

Every failure, DRF or not, goes through the same formatter, so switching the
``ENVELOPE`` preset changes every response at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import lru_cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from errorregistry.conf import registry_settings

if TYPE_CHECKING:
    from errorregistry.registry.store import Entry

OPTIONAL_MEMBERS = ("action", "retryable", "retry_after", "docs_url")


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
        )


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class BaseFormatter(ABC):
    """Subclass and point ``ERROR_REGISTRY["ENVELOPE"]`` at the class to plug your own envelope."""

    content_type = "application/json"

    def __init__(self, key_style: str = "snake", optional_members: tuple[str, ...] = ()) -> None:
        self.key_style = key_style
        self.optional_members = tuple(m for m in OPTIONAL_MEMBERS if m in optional_members)

    def key(self, name: str) -> str:
        return camel(name) if self.key_style == "camel" else name

    @abstractmethod
    def format(self, error: RenderedError) -> dict[str, Any]:
        """The response body for ``error``."""

    def error_object(self, error: RenderedError) -> dict[str, Any]:
        """The ``{code, message, request_id, [optional], [details]}`` object shared by three presets."""
        body: dict[str, Any] = {"code": error.code, "message": error.message, self.key("request_id"): error.request_id}
        for member in self.optional_members:
            body[self.key(member)] = getattr(error, member)
        details = self.details(error)
        if details:
            body["details"] = details
        return body

    def details(self, error: RenderedError) -> dict[str, Any]:
        details = dict(error.details)
        if error.errors:
            details["errors"] = error.errors
        return details


class ErrorFormatter(BaseFormatter):
    """``{"error": {...}}``: the default."""

    def format(self, error: RenderedError) -> dict[str, Any]:
        return {"error": self.error_object(error)}


class DetailFormatter(BaseFormatter):
    """``{"detail": {...}}``, the shape of DRF-style APIs."""

    def format(self, error: RenderedError) -> dict[str, Any]:
        return {"detail": self.error_object(error)}


class StatusFormatter(BaseFormatter):
    """``{"status": "error", "data": null, "error": {...}}``, for APIs that wrap every response."""

    def format(self, error: RenderedError) -> dict[str, Any]:
        return {"status": "error", "data": None, "error": self.error_object(error)}


class ProblemFormatter(BaseFormatter):
    """RFC 9457 problem details, with the registry code and request ID as extension members."""

    content_type = "application/problem+json"

    def format(self, error: RenderedError) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": error.docs_url or "about:blank",
            "title": error.message,
            "status": error.status,
            "detail": error.message,
            "instance": error.instance,
            "code": error.code,
            self.key("request_id"): error.request_id,
        }
        for member in self.optional_members:
            body[self.key(member)] = getattr(error, member)
        if error.errors:
            body["errors"] = error.errors
        if error.details:
            body["details"] = dict(error.details)
        return body


PRESETS: dict[str, type[BaseFormatter]] = {
    "error": ErrorFormatter,
    "detail": DetailFormatter,
    "status": StatusFormatter,
    "problem": ProblemFormatter,
}


def get_formatter() -> BaseFormatter:
    """The configured formatter (cached until the settings change)."""
    return _build_formatter(
        registry_settings.ENVELOPE, registry_settings.KEY_STYLE, tuple(registry_settings.OPTIONAL_MEMBERS)
    )


@lru_cache(maxsize=16)
def _build_formatter(envelope: str, key_style: str, optional_members: tuple[str, ...]) -> BaseFormatter:
    formatter_class = PRESETS.get(envelope) or import_string(envelope)
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
