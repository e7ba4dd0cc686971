"""What one client received, as a value: returned with the response, read by the audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from errorregistry.envelope.formatters import RenderedError, details_with_field_errors

if TYPE_CHECKING:
    from errorregistry.registry.store import Entry


@dataclass
class ErrorOutcome:
    """The error as the formatter rendered it, and what the audit needs besides.

    ``render_error`` builds it and attaches it to the ``ErrorResponse`` it returns
    (``response.error_outcome``); the middleware hands it to the audit once the
    response is complete.
    """

    rendered: RenderedError
    # The message before its placeholders were filled: the audit fills it again from redacted details.
    message_template: str = ""
    unknown_code: bool = False
    unfilled_placeholder: bool = False
    # The live exception of a 5xx only (its traceback, OpenTelemetry's ``record_exception``).
    # A client error keeps what the audit reads instead: the response outlives the view in a
    # reference cycle (DRF's renderer context), and a live traceback would keep every frame of
    # the request's stack with it until the garbage collector ran.
    exception: BaseException | None = None
    exception_class: str = ""  # dotted name of the exception's class, "" when none was raised
    diagnostic: str = ""  # DRF's or Django's own text for a client error (``original_detail``)
    entry: Entry | None = None

    @property
    def request_id(self) -> str:
        return self.rendered.request_id

    @property
    def code(self) -> str:
        return self.rendered.code

    @property
    def status(self) -> int:
        return self.rendered.status

    @property
    def message(self) -> str:
        return self.rendered.message

    @property
    def language(self) -> str:
        return self.rendered.language

    @property
    def details(self) -> dict[str, Any]:
        """The details sent, field errors included under ``errors`` (a copy, built on each read)."""
        return details_with_field_errors(self.rendered)


def qualified_name(exc: BaseException | None) -> str:
    """``rest_framework.exceptions.NotAuthenticated``; "" for no exception."""
    return f"{type(exc).__module__}.{type(exc).__qualname__}" if exc is not None else ""
