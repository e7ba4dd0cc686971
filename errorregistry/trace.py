"""W3C Trace Context: the trace and span a request belongs to, from OpenTelemetry or ``traceparent``.

The active OpenTelemetry span wins when ``opentelemetry-api`` is installed and a
span is recording this request; otherwise a valid ``traceparent`` header is read.
A malformed header is ignored, never an error: the client does not own our audit.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest

from errorregistry.integrations import otel

# version "-" trace-id "-" parent-id "-" flags (https://www.w3.org/TR/trace-context/#traceparent-header)
TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
INVALID_TRACE_ID = "0" * 32
INVALID_SPAN_ID = "0" * 16


@dataclass(frozen=True)
class TraceContext:
    trace_id: str
    span_id: str


# The current request's trace, set by RequestIdMiddleware next to the request ID.
current_trace: ContextVar[TraceContext | None] = ContextVar("errorregistry_trace", default=None)


def parse_traceparent(value: str | None) -> TraceContext | None:
    """The trace and parent span of a ``traceparent`` header value, or None if it is not valid.

    Version ``ff`` and all-zero IDs are invalid; a version above ``00`` may carry more
    fields after the fourth (the specification's forward compatibility), version ``00`` may not.
    """
    if not value or len(value) > 512:
        return None
    match = TRACEPARENT.fullmatch(value.strip(" \t"))  # optional whitespace, as HTTP allows
    if match is None:
        return None
    version, trace_id, span_id, _flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    if trace_id == INVALID_TRACE_ID or span_id == INVALID_SPAN_ID:
        return None
    return TraceContext(trace_id, span_id)


def trace_of(request: HttpRequest) -> TraceContext | None:
    """This request's trace: the active OpenTelemetry span's, else its ``traceparent`` header's."""
    active = otel.active_trace_ids()
    if active is not None:
        return TraceContext(*active)
    return parse_traceparent(request.META.get("HTTP_TRACEPARENT"))


def request_trace(request: HttpRequest) -> TraceContext | None:
    """The trace the middleware found for the request (None: it has none), or worked out now if
    the middleware did not run."""
    try:
        return request.trace_context
    except AttributeError:
        return trace_of(request)
