"""The DRF entry point: ``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "errorregistry.handlers.exception_handler"``.

One failing DRF request, top-down (drf-standardized-errors' ``handler.py`` shape):

1. ``convert``: a client's fault in disguise becomes the exception it really is;
2. ``resolve``: the exception becomes a registry code, details, field errors, headers;
3. ``render``: the registry entry, in the client's language, through the configured
   formatter, becomes an ``ErrorResponse``; the response carries ``error_outcome``,
   what the client received, as a value of the object returned;
4. ``set_rollback``: the view's atomic block is rolled back, as DRF's own handler does;
5. ``report``: an unexpected exception is logged and signalled like Django would: on
   ``django.request``, with the traceback on the record's ``exc_info`` (``LOG_TRACEBACKS``).

With ``DEBUG = True`` and a client whose negotiated renderer is HTML (the browsable API), a
crash is given back to DRF (the handler returns ``None``), which re-raises it: Django shows its
debug page and logs the traceback, as for a plain Django view; the middleware still audits it.

The audit is not written here: ``RequestIdMiddleware`` reads ``response.error_outcome``
from the response it receives and hands it to the audit after the view's transaction.
Subclass ``ExceptionHandler`` and override a step; point ``EXCEPTION_HANDLER`` at a
function that runs your class.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.http import HttpRequest
from django.utils.log import request_logger
from rest_framework.views import set_rollback

from errorregistry.conf import registry_settings

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

    def run(self) -> ErrorResponse | None:
        exc = self.convert(self.exc)
        response = self.render(self.resolve(exc))
        self.set_rollback()
        if self.is_crash(exc, response):
            if self.shows_debug_page():
                return None  # DRF re-raises: Django's debug page, log and signal, as for a plain view
            self.report(exc, response)
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

    def shows_debug_page(self) -> bool:
        """``DEBUG`` and a client that negotiated an HTML renderer, as DRF decides for its own crashes."""
        renderer = getattr(self.context.get("request"), "accepted_renderer", None)
        return settings.DEBUG and getattr(renderer, "format", None) in HTML_FORMATS

    def report(self, exc: BaseException, response: ErrorResponse) -> None:
        report_exception(self.request, exc, response)


# DRF's browsable API and admin renderers: the formats for which DRF shows Django's debug page.
HTML_FORMATS = ("html", "api", "admin")


def exception_handler(exc: Exception, context: dict[str, Any]) -> ErrorResponse | None:
    """DRF's contract: the exception and the view's context in, a response out.

    Unexpected exceptions become a safe 500 that still reaches the logs and
    ``got_request_exception`` receivers.
    """
    return ExceptionHandler(exc, context).run()


def django_request(context: dict[str, Any]) -> HttpRequest:
    request = context.get("request")
    return getattr(request, "_request", request)


def report_exception(request: HttpRequest, exc: BaseException, response: ErrorResponse) -> None:
    """Log and signal an unexpected exception, as Django's own handler does for its 500s.

    By default the record goes to ``django.request`` with the traceback on its ``exc_info``
    (Django's ``AdminEmailHandler``, Sentry's logging integration and the console in
    development read it there) and the response is marked logged, so Django does not log it
    again. ``LOG_TRACEBACKS = False`` keeps tracebacks out of the logs: one line on the
    ``errorregistry`` logger names the class and request ID, and the traceback is only in the
    staff-only audit event. ``got_request_exception`` receivers get the live exception either way.
    """
    if registry_settings.LOG_TRACEBACKS:
        # Django's own record (django.utils.log.log_response, whose keyword for the exception
        # differs between Django releases): message, path escaped, extra, exc_info.
        request_logger.error(
            "%s: %s",
            response.reason_phrase,
            request.path.encode("unicode_escape").decode("ascii"),
            extra={"status_code": response.status_code, "request": request},
            exc_info=exc,
        )
        response._has_been_logged = True  # Django's handler then does not log it a second time
    else:
        logger.error(
            "Internal error %s.%s on %s %s (request %s); the traceback is in the audit event",
            type(exc).__module__,
            type(exc).__qualname__,
            request.method,
            request.path,
            getattr(request, "request_id", "-"),
            extra={"status_code": response.status_code, "request": request},
        )
    got_request_exception.send(sender=None, request=request)
