"""The DRF entry point: ``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "errorregistry.handlers.exception_handler"``."""

from __future__ import annotations

import logging
from typing import Any

from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse
from rest_framework.views import set_rollback

from errorregistry.exceptions import ApiError
from errorregistry.rendering import render_error
from errorregistry.resolution import convert_exception, resolve_exception

logger = logging.getLogger("errorregistry")


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse:
    """Render every exception a DRF view raises as the configured envelope.

    Steps: convert -> resolve the registry entry and texts -> format -> set
    rollback -> headers -> report. Unexpected exceptions become a safe 500
    that still reaches the logs and ``got_request_exception`` receivers.
    """
    request = django_request(context)
    exc = convert_exception(exc)
    resolved = resolve_exception(exc)
    response = render_error(request, resolved)
    set_rollback()
    if response.status_code >= 500 and not isinstance(exc, ApiError):
        # A crash, not a deliberate ApiError("service_unavailable").
        report_exception(request, exc)
    return response


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
