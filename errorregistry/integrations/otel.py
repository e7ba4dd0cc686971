"""OpenTelemetry: the active span learns the registry code, the status and the request ID of an error.

Only ``opentelemetry-api`` is needed at run time (the ``[otel]`` extra); without it
every function here does nothing. The span is whatever is active while the middleware
runs: the server span of ``opentelemetry-instrumentation-django``, or a project's own.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry import trace as otel_trace
    from opentelemetry.trace import Status, StatusCode
except ImportError:  # the [otel] extra is not installed
    otel_trace = None

# The span attribute carrying the request ID (the registry's own namespace: no semantic convention exists).
REQUEST_ID_ATTRIBUTE = "errorregistry.request_id"
STATUS_ATTRIBUTE = "http.response.status_code"


def active_span() -> Any | None:
    """The active span if it is recording, else None (no span, a non-sampled one, no OpenTelemetry)."""
    if otel_trace is None:
        return None
    span = otel_trace.get_current_span()
    return span if span.is_recording() else None


def active_trace_ids() -> tuple[str, str] | None:
    """(trace ID, span ID) in W3C hex of the active span, valid even if not sampled; else None."""
    if otel_trace is None:
        return None
    context = otel_trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return otel_trace.format_trace_id(context.trace_id), otel_trace.format_span_id(context.span_id)


def annotate_error(request_id: str, code: str, status: int, exception: BaseException | None) -> None:
    """Mark the active span with what the client received; a 5xx sets its status to ERROR."""
    span = active_span()
    if span is None:
        return
    span.set_attribute("error.type", code)
    span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
    attributes = getattr(span, "attributes", None)  # the SDK's spans expose theirs; the API's do not
    if attributes is None or STATUS_ATTRIBUTE not in attributes:
        span.set_attribute(STATUS_ATTRIBUTE, status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR, code))
        if exception is not None:
            span.record_exception(exception)
