"""Turn any exception (or a bare error status) into a registry code plus details.

This is the "convert" step of the handler, shared by the DRF handler and the
middleware that covers non-DRF failures, so both map failures identically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core import exceptions as django_exceptions
from django.utils.module_loading import import_string
from rest_framework import exceptions as drf_exceptions
from rest_framework.serializers import as_serializer_error

from errorregistry.conf import derived_from_settings, registry_settings
from errorregistry.envelope.validation import field_errors
from errorregistry.exceptions import ApiError
from errorregistry.registry.declarations import INTERNAL_ERROR, builtin_name
from errorregistry.registry.store import registry

# Exception class -> code. The most specific class an exception is an instance of wins
# (nearest in its MRO); on a tie, ``EXCEPTION_CODES`` beats these defaults. A bare
# ``ObjectDoesNotExist`` is not here: like DRF, it is a bug in the view, a reported 500.
DEFAULT_EXCEPTION_CODES: tuple[tuple[str, str], ...] = (
    ("rest_framework.exceptions.ParseError", "invalid_request"),
    ("rest_framework.exceptions.ValidationError", "validation_error"),
    ("django.core.exceptions.ValidationError", "validation_error"),
    ("rest_framework.exceptions.NotAuthenticated", "not_authenticated"),
    ("rest_framework.exceptions.AuthenticationFailed", "authentication_failed"),
    ("rest_framework.exceptions.PermissionDenied", "permission_denied"),
    ("django.core.exceptions.PermissionDenied", "permission_denied"),
    ("rest_framework.exceptions.NotFound", "not_found"),
    ("django.http.Http404", "not_found"),
    ("rest_framework.exceptions.MethodNotAllowed", "method_not_allowed"),
    ("rest_framework.exceptions.NotAcceptable", "not_acceptable"),
    ("rest_framework.exceptions.UnsupportedMediaType", "unsupported_media_type"),
    ("rest_framework.exceptions.Throttled", "rate_limited"),
    ("django.core.exceptions.RequestDataTooBig", "request_too_large"),
    ("django.core.exceptions.TooManyFieldsSent", "request_too_large"),
    ("django.core.exceptions.TooManyFilesSent", "request_too_large"),
    ("django.core.exceptions.BadRequest", "bad_request"),
    ("django.core.exceptions.SuspiciousOperation", "bad_request"),
    # The database is down or unreachable: not a bug in the view, a retryable outage.
    ("django.db.utils.OperationalError", "service_unavailable"),
    ("django.db.utils.InterfaceError", "service_unavailable"),
)

# Status of an APIException (or a bare error response) -> code.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "service_unavailable",
}


@dataclass
class ResolvedError:
    """What went wrong, in registry terms, before any text is chosen."""

    code: str
    details: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] | None = None
    retry_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    exception: BaseException | None = None
    # Set only when no registry code matches the exception's own status (e.g. a 410 APIException):
    # the generic code's text is used, but the client still gets the status the view meant.
    status: int | None = None


@derived_from_settings
def exception_table() -> tuple[tuple[type[BaseException], str], ...]:
    """The configured class -> code table: ``EXCEPTION_CODES`` first, then the defaults."""
    table = [(import_string(path), code) for path, code in registry_settings.EXCEPTION_CODES.items()]
    names = registry_settings.BUILTIN_CODE_NAMES
    table += [(import_string(path), names.get(code, code)) for path, code in DEFAULT_EXCEPTION_CODES]
    return tuple(table)


@derived_from_settings
def _codes_by_class() -> dict[type[BaseException], str]:
    """``_table_code``'s answers so far: the table is walked once per exception class."""
    return {}


def code_for_status(status: int) -> str:
    if status in STATUS_CODES:
        return builtin_name(STATUS_CODES[status])
    return builtin_name(INTERNAL_ERROR if status >= 500 else "bad_request")


def resolve_status(status: int) -> ResolvedError:
    """A failure known only by its status (a bare Django error page, an unlisted APIException)."""
    resolved = ResolvedError(code=code_for_status(status))
    if status not in STATUS_CODES and 400 <= status < 600:
        resolved.status = status
    return resolved


def convert_exception(exc: BaseException) -> BaseException:
    """The client's fault in disguise: JSON nested past the recursion limit fails DRF's parser
    with a ``RecursionError`` rather than a ``ParseError``; it is a malformed body, not a crash."""
    if isinstance(exc, RecursionError) and _raised_by_parser(exc):
        converted = drf_exceptions.ParseError("The request body is nested too deeply.")
        converted.__cause__ = exc
        return converted
    return exc


def _raised_by_parser(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("rest_framework.parsers"):
            return True
        tb = tb.tb_next
    return False


def resolve_exception(exc: BaseException) -> ResolvedError:
    if isinstance(exc, ApiError):
        return ResolvedError(code=exc.code, details=exc.details, retry_after=exc.retry_after, exception=exc)

    resolved = ResolvedError(code=_table_code(exc), exception=exc)

    if isinstance(exc, django_exceptions.ValidationError):
        exc = drf_exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, drf_exceptions.ValidationError):
        resolved.errors = field_errors(exc.detail)
    elif isinstance(exc, drf_exceptions.APIException):
        explicit = getattr(exc.detail, "code", None)
        if explicit and explicit != exc.default_code and registry.get(explicit) is not None:
            resolved.code = explicit
        elif resolved.code == builtin_name(INTERNAL_ERROR):
            by_status = resolve_status(exc.status_code)
            resolved.code, resolved.status = by_status.code, by_status.status

    if getattr(exc, "auth_header", None):
        resolved.headers["WWW-Authenticate"] = exc.auth_header
    elif isinstance(exc, (drf_exceptions.NotAuthenticated, drf_exceptions.AuthenticationFailed)):
        if exc.status_code == 403:
            # DRF answers 403 when the view's first authenticator offers no challenge: a 401
            # without WWW-Authenticate is not valid HTTP. The code stays, so clients can branch on it.
            resolved.status = 403
    wait = getattr(exc, "wait", None)
    if wait is not None:
        resolved.retry_after = int(wait + 0.999)
    return resolved


def original_detail(exc: BaseException | None) -> str:
    """DRF's or Django's own text for a failure ("CSRF Failed: ...", a parse error's position, a
    permission class's ``message``), which the registry's text replaces. Field errors travel in
    the details instead."""
    if exc is None or isinstance(exc, (drf_exceptions.ValidationError, django_exceptions.ValidationError)):
        return ""
    try:
        return str(exc.detail) if isinstance(exc, drf_exceptions.APIException) else str(exc)
    except Exception:  # noqa: BLE001 - a text that cannot be read must not turn a 4xx into a 500
        return ""


def _table_code(exc: BaseException) -> str:
    """The code of the most specific configured class ``exc`` is an instance of."""
    known = _codes_by_class()
    code = known.get(type(exc))
    if code is None:
        code = known[type(exc)] = _most_specific_code(exc)
    return code


def _most_specific_code(exc: BaseException) -> str:
    mro = type(exc).__mro__
    best_depth, best_code = len(mro) + 1, builtin_name(INTERNAL_ERROR)
    for exception_class, code in exception_table():
        if isinstance(exc, exception_class):
            # A virtual subclass (ABC.register) is not in the MRO: least specific.
            depth = mro.index(exception_class) if exception_class in mro else len(mro)
            if depth < best_depth:  # strict: on a tie the earlier row, an override, wins
                best_depth, best_code = depth, code
    return best_code
