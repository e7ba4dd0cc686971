"""What every optional integration learns about a request: its ID at the start, its error when one is rendered."""

from __future__ import annotations

from errorregistry.envelope.outcome import ErrorOutcome
from errorregistry.integrations import otel, sentry


def request_started(request_id: str) -> None:
    sentry.tag_request(request_id)


def error_rendered(outcome: ErrorOutcome) -> None:
    """Called once per rendered envelope, before an unexpected exception is reported to
    ``got_request_exception`` receivers: Sentry's event then carries the code."""
    rendered = outcome.rendered
    sentry.tag_error(rendered.request_id, rendered.code)
    otel.annotate_error(rendered.request_id, rendered.code, rendered.status, outcome.exception)
