"""The DRF entry point: ``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "errorregistry.handlers.exception_handler"``.

One failing DRF request, top-down (drf-standardized-errors' ``handler.py`` shape):

1. ``convert``: a client's fault in disguise becomes the exception it really is;
2. ``resolve``: the exception becomes a registry code, details, field errors, headers;
3. ``render``: the registry entry, in the client's language, through the configured
   formatter, becomes an ``ErrorResponse``; the response carries ``error_outcome``,
   what the client received, as a value of the object returned;
4. ``set_rollback``: the view's atomic block is rolled back, as DRF's own handler does;
5. ``report``: an unexpected exception is logged and signalled like Django would.

The audit is not written here: ``RequestIdMiddleware`` reads ``response.error_outcome``
from the response it receives and hands it to the audit after the view's transaction.
Subclass ``ExceptionHandler`` and override a step; point ``EXCEPTION_HANDLER`` at a
function that runs your class.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.signals import got_request_exception
from django.http import HttpRequest
from rest_framework.views import set_rollback

from errorregistry.envelope.resolution import ResolvedError, convert_exception, resolve_exception
from errorregistry.envelope.response import ErrorResponse, render_error
from errorregistry.exceptions import ApiError

logger = logging.getLogger("errorregistry")


class ExceptionHandler:
    """Render one exception raised in a DRF view as the configured envelope."""

    def __init__(self, exc: Exception, context: dict[str, Any]) -> None:
        self.exc = exc
        self.context = context
        self.request = django_request(context)

    def run(self) -> ErrorResponse:
        exc = self.convert(self.exc)
        response = self.render(self.resolve(exc))
        self.set_rollback()
        if self.is_crash(exc, response):
            self.report(exc)
        return response

    def convert(self, exc: BaseException) -> BaseException:
        return convert_exception(exc)

    def resolve(self, exc: BaseException) -> ResolvedError:
        return resolve_exception(exc)

    def render(self, resolved: ResolvedError) -> ErrorResponse:
        return render_error(self.request, resolved)

    def set_rollback(self) -> None:
        set_rollback()

    @staticmethod
    def is_crash(exc: BaseException, response: ErrorResponse) -> bool:
        """A 5xx the code did not ask for: not a deliberate ``ApiError("service_unavailable")``."""
        return response.status_code >= 500 and not isinstance(exc, ApiError)

    def report(self, exc: BaseException) -> None:
        report_exception(self.request, exc)


def exception_handler(exc: Exception, context: dict[str, Any]) -> ErrorResponse:
    """DRF's contract: the exception and the view's context in, a response out.

    Unexpected exceptions become a safe 500 that still reaches the logs and
    ``got_request_exception`` receivers.
    """
    return ExceptionHandler(exc, context).run()


def django_request(context: dict[str, Any]) -> HttpRequest:
    request = context.get("request")
    return getattr(request, "_request", request)


def report_exception(request: HttpRequest, exc: BaseException) -> None:
    """Log and signal an unexpected exception, as Django's own handler would.

    The log line names the exception class and request ID but not its text,
    which may quote secrets; the traceback is kept in the staff-only audit event,
    and ``got_request_exception`` receivers (Sentry and the like) get the live exception.
    """
    logger.error(
        "Internal error %s.%s on %s %s (request %s); the traceback is in the audit event",
        type(exc).__module__,
        type(exc).__qualname__,
        request.method,
        request.path,
        getattr(request, "request_id", "-"),
        extra={"status_code": 500, "request": request},
    )
    got_request_exception.send(sender=None, request=request)
