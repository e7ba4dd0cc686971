"""RequestIdMiddleware: request IDs, envelopes for non-DRF failures under the API prefixes,
and the hand-over of each error response's outcome to the audit.

Place it near the top of ``MIDDLEWARE``: it runs after the response is built,
outside the view's ``ATOMIC_REQUESTS`` transaction, so the audit row survives
the request's rollback.

One failing request, top-down:

1. ``assign_request_id`` gives the request its ID (``request.request_id``, the context
   variable read by ``errorregistry.log.RequestIdFilter``);
2. the view runs. A DRF view's failure is rendered by ``errorregistry.handler``, whose
   ``ErrorResponse`` carries what the client received as ``response.error_outcome``.
   A non-DRF view that raises is seen by ``process_exception``, which keeps the
   exception in this request's ``_raised`` slot (a context variable owned by this
   middleware; Django then logs and signals the exception as usual);
3. ``finish``: a failure under an API prefix that no envelope answered (a Django error
   page, a plain view's 500) is replaced by one, rendered from that exception or from
   the bare status; headers and cookies of the replaced response are carried over;
4. ``hand_over``: the response's ``error_outcome`` goes to ``errorregistry.audit.record``.

The request's W3C trace (``errorregistry.trace``) is made current next to its ID, and
``Access-Control-Expose-Headers`` names the request-ID header on API responses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import sys
from contextvars import ContextVar, Token
from functools import lru_cache
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from errorregistry import audit
from errorregistry.conf import derived_from_settings, registry_settings
from errorregistry.envelope.resolution import resolve_exception, resolve_status
from errorregistry.envelope.response import ErrorResponse, render_error
from errorregistry.integrations import observe, sentry
from errorregistry.models import ErrorEvent
from errorregistry.request_id import clean_inbound_request_id, current_request_id, new_request_id
from errorregistry.trace import TraceContext, current_trace, trace_of

ADOPTABLE_ID_LENGTH = ErrorEvent._meta.get_field("request_id").max_length

# What a non-DRF view of the current request raised: a list created per request by
# ``__call__`` and filled by ``process_exception``. A list, not a value set on the variable,
# because Django may run ``process_exception`` in a copied context (``sync_to_async``).
_raised: ContextVar[list[BaseException]] = ContextVar("errorregistry_raised")


class RequestIdMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if self.async_mode:
            return self.__acall__(request)
        token, trace_token = self.start(request)
        raised: list[BaseException] = []
        raised_token = _raised.set(raised)
        try:
            response = self.get_response(request)
            if response.status_code < 400:  # the common case: only the header to add
                if "public" not in response.get("Cache-Control", ""):  # a shared cache would replay it to all
                    response[registry_settings.REQUEST_ID_HEADER] = request.request_id
                    expose_request_id(request, response)
                return response
            return self.complete(request, response, raised)
        finally:
            _raised.reset(raised_token)
            current_trace.reset(trace_token)
            current_request_id.reset(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        token, trace_token = self.start(request)
        raised: list[BaseException] = []
        raised_token = _raised.set(raised)
        try:
            response = await self.get_response(request)
            if response.status_code < 400:
                if "public" not in response.get("Cache-Control", ""):
                    response[registry_settings.REQUEST_ID_HEADER] = request.request_id
                    expose_request_id(request, response)
                return response
            # Rendering may reload the registry and auditing writes: both touch the database.
            return await sync_to_async(self.complete, thread_sensitive=True)(request, response, raised)
        finally:
            _raised.reset(raised_token)
            current_trace.reset(trace_token)
            current_request_id.reset(token)

    def start(self, request: HttpRequest) -> tuple[Token[str | None], Token[TraceContext | None]]:
        """The request's ID and trace, made current for logging, the audit and the integrations."""
        request_id = self.assign_request_id(request)
        observe.request_started(request_id)
        # On the request too, like ``request.request_id``: Django logs a 500 after the middleware returned.
        request.trace_context = trace_of(request)
        return current_request_id.set(request_id), current_trace.set(request.trace_context)

    def complete(
        self, request: HttpRequest, response: HttpResponse, raised: list[BaseException] | None = None
    ) -> HttpResponse:
        """Envelope a bare failure if needed, stamp the request ID, then hand the outcome to the audit."""
        response = self.finish(request, response, raised[-1] if raised else None)
        self.hand_over(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """Keep what a non-DRF view raised for ``finish``; Django still logs and signals it as usual."""
        raised = _raised.get(None)
        if raised is not None and is_api_path(request.path_info):
            raised.append(exception)
            # Django signals got_request_exception (Sentry's capture) before ``finish`` renders the envelope.
            if sentry.active():
                sentry.tag_error(getattr(request, "request_id", "-"), resolve_exception(exception).code)
        return None

    @staticmethod
    def assign_request_id(request: HttpRequest) -> str:
        inbound = clean_inbound_request_id(request.META.get(meta_key(registry_settings.REQUEST_ID_HEADER)))
        # An adopted ID must fit the audit table's request_id column, or the event would be lost.
        if inbound and registry_settings.TRUST_INBOUND_REQUEST_ID and len(inbound) <= ADOPTABLE_ID_LENGTH:
            request_id = inbound
        else:
            request_id = new_request_id()
            request.client_request_id = inbound or ""
        request.request_id = request_id
        return request_id

    def finish(
        self, request: HttpRequest, response: HttpResponse, exception: BaseException | None = None
    ) -> HttpResponse:
        """The response to send: an envelope in place of a bare failure under an API prefix."""
        if needs_envelope(request, response, exception):
            if exception is not None:
                resolved = resolve_exception(exception)
            else:
                resolved = resolve_status(response.status_code)
            envelope = carry_over(response, render_error(request, resolved)).render()  # carries the ID already
            if not shows_debug_page(request, response, exception):
                return expose_request_id(request, envelope)
            # Development, a browser: Django's debug page stays; the audit still gets the event.
            response.error_outcome = envelope.error_outcome
        if not isinstance(response, ErrorResponse):
            response[registry_settings.REQUEST_ID_HEADER] = request.request_id
        expose_request_id(request, response)
        return response

    @staticmethod
    def hand_over(request: HttpRequest, response: HttpResponse) -> None:
        """Give the audit what the client received, if the response is one of ours."""
        outcome = getattr(response, "error_outcome", None)
        if outcome is not None:
            audit.record(request, outcome)


def expose_request_id(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Let browser JavaScript read the request-ID header of an API response (CORS hides it otherwise).

    Merged into any ``Access-Control-Expose-Headers`` already set further down the stack. Only
    on a cross-origin request (it has an ``Origin``): a browser reads every header of a
    same-origin response, and a cross-origin one only with ``Access-Control-Allow-Origin``,
    which the CORS middleware adds, with ``Vary: Origin``.
    """
    if "HTTP_ORIGIN" in request.META and is_api_path(request.path_info):
        header = registry_settings.REQUEST_ID_HEADER
        exposed = response.get("Access-Control-Expose-Headers")
        if not exposed:
            response["Access-Control-Expose-Headers"] = header
            return response
        names = [name.strip() for name in exposed.split(",") if name.strip()]
        if not any(name.lower() == header.lower() for name in names):
            response["Access-Control-Expose-Headers"] = ", ".join([*names, header])
    return response


@receiver(got_request_exception)
def _keep_uncaught(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """What failed outside a view (a middleware, a broken error-page template) reaches Django's
    handler without ``process_exception``: keep it too, so the envelope and the audit name it."""
    raised = _raised.get(None)
    exception = sys.exc_info()[1]
    if raised is None or exception is None or request is None or not is_api_path(request.path_info):
        return
    if not any(exception is seen for seen in raised):
        raised.append(exception)


def shows_debug_page(request: HttpRequest, response: HttpResponse, exception: BaseException | None) -> bool:
    """``DEBUG``, a crash, and a client that asked for HTML: Django's debug page is what a developer
    expects, as on a plain Django site (a client asking for JSON still gets the envelope)."""
    return (
        settings.DEBUG
        and exception is not None
        and response.status_code >= 500
        and "text/html" in response.get("Content-Type", "")
        and "text/html" in request.headers.get("Accept", "")
    )


@lru_cache(maxsize=4)
def meta_key(header: str) -> str:
    """``X-Request-Id`` -> ``HTTP_X_REQUEST_ID``, the key Django gives it in ``request.META``."""
    return "HTTP_" + header.upper().replace("-", "_")


def is_api_path(path: str) -> bool:
    return path.startswith(api_prefixes())


@derived_from_settings
def api_prefixes() -> tuple[str, ...]:
    return tuple(registry_settings.API_PREFIXES)


def needs_envelope(request: HttpRequest, response: HttpResponse, exception: BaseException | None = None) -> bool:
    """A failure under an API prefix that no envelope answered yet.

    Django's own error pages (404, CSRF 403, 400, 500) are HTML; a view that
    deliberately returns a JSON error body is left alone.
    """
    if response.status_code < 400 or isinstance(response, ErrorResponse):
        return False
    if not is_api_path(request.path_info):
        return False
    if exception is not None:
        return True
    content_type = response.get("Content-Type", "")
    return "json" not in content_type


# Headers that describe the body being replaced; every other header (security headers,
# Allow, WWW-Authenticate, ...) and every cookie set further down the stack is kept.
BODY_HEADERS = frozenset(
    {"etag", "last-modified", "accept-ranges", "content-type", "content-length", "content-language",
     "content-encoding", "content-disposition", "content-range", "content-location", "content-md5"}
)


def carry_over(original: HttpResponse, envelope: ErrorResponse) -> ErrorResponse:
    """Give the envelope the headers and cookies of the response it replaces."""
    for name, value in original.items():
        lowered = name.lower()
        if lowered == "vary":
            patch_vary_headers(envelope, [v.strip() for v in value.split(",") if v.strip()])
        elif lowered not in BODY_HEADERS and name not in envelope:
            envelope[name] = value
    envelope.cookies.update(original.cookies)
    # Django already logged the original failure; do not log it twice.
    envelope._has_been_logged = getattr(original, "_has_been_logged", False)
    # What the replaced response must release (an open file, the request's uploads) is released
    # when the envelope is closed at the end of the request; closing the original here would also
    # fire request_finished, and with it the closing of database connections, mid-request.
    envelope._resource_closers.extend(original._resource_closers)
    original._resource_closers.clear()
    return envelope
