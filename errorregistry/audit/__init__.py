"""The audit trail: one event per error response, stored off the request path.

``record()`` is all the request thread does: decide whether the error is audited,
let flood control count a repeat instead, build the bounded, redacted event and
hand it to the background writer (``AUDIT_MODE = "background"``, the default), or
store it before the response leaves (``"inline"``). Either way a failure to store
never changes the response: the event goes to the ``errorregistry.audit`` log.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest

from errorregistry.audit.events import build_event, client_ip, should_record
from errorregistry.audit.store import audit_alias
from errorregistry.audit.writer import write
from errorregistry.audit.writer import writer as background_writer  # not `writer`: that name is the module
from errorregistry.conf import registry_settings
from errorregistry.envelope.outcome import ErrorOutcome

__all__ = ["audit_alias", "flush_audit", "record"]

logger = logging.getLogger("errorregistry")


def record(request: HttpRequest, outcome: ErrorOutcome) -> bool:
    """Audit one error response. True when an event was stored or queued for storing."""
    if not should_record(outcome):
        return False
    address = client_ip(request)
    if not background_writer.admit(outcome.rendered.code, address, outcome.rendered.request_id):
        return False  # a repeat in a flood: counted, not stored
    try:
        event = build_event(request, outcome, address)
    except Exception:  # noqa: BLE001 - auditing must never turn an error into a 500
        logger.exception("errorregistry: cannot build the audit event for request %s", outcome.request_id)
        return False
    if registry_settings.AUDIT_MODE == "inline":
        return store_now(event)
    return background_writer.submit(event)


def store_now(event: dict) -> bool:
    """``AUDIT_MODE = "inline"``: the event reaches its sinks before the response leaves
    (the database sink: one INSERT and its count)."""
    return write([event], [], background_writer.summary)


def flush_audit(timeout: float = 5.0) -> bool:
    """Wait until every audit event recorded so far in this process is stored or logged.

    For tests, management commands and benchmarks; True when done within ``timeout`` seconds.
    """
    return background_writer.flush(timeout)
