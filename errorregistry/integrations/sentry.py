"""Sentry: every event captured during a request carries its request ID and, once an error was
rendered, the registry code, so an event found in Sentry leads to the audit row (and the audit
row back to Sentry's search).

Nothing to configure: active when ``sentry-sdk`` is installed and initialised. The tags are
added by a global event processor when an event is captured, from the current request ID (the
one ``errorregistry.log`` stamps on log records) and the error this request rendered, so a
request that sends no event costs nothing and no tag outlives its request on a shared scope.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from errorregistry.request_id import current_request_id

try:
    import sentry_sdk
    from sentry_sdk.scope import add_global_event_processor
except ImportError:  # sentry-sdk is not installed
    sentry_sdk = None

REQUEST_ID_TAG = "request_id"
CODE_TAG = "error_code"

# (request ID, code) of the last error rendered in this context: set, never reset, so it is
# only believed for the request whose ID it carries.
_rendered: ContextVar[tuple[str, str] | None] = ContextVar("errorregistry_sentry_error", default=None)


def active() -> bool:
    return sentry_sdk is not None and sentry_sdk.get_client().is_active()


def note_error(request_id: str, code: str) -> None:
    """Remember the code the client of ``request_id`` received, for the events captured after."""
    if sentry_sdk is not None:
        _rendered.set((request_id, code))


def tag_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Sentry's event processor: the request's ID, and its error's code, on every event captured during it."""
    request_id = current_request_id.get()
    if request_id is not None:
        tags = event.setdefault("tags", {})
        tags[REQUEST_ID_TAG] = request_id
        rendered = _rendered.get()
        if rendered is not None and rendered[0] == request_id:
            tags[CODE_TAG] = rendered[1]
    return event


if sentry_sdk is not None:
    add_global_event_processor(tag_event)
