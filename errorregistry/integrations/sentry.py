"""Sentry: every event captured during a request carries its request ID, and on an error the
registry code, so an event found in Sentry leads to the audit row (and the audit row back to
Sentry's search).

Nothing to configure: active when ``sentry-sdk`` is installed and initialised. The request ID is
added by a global event processor when an event is captured (from the current request ID, the one
``errorregistry.log`` stamps on log records), so a request that sends no event costs nothing. The
code goes on the isolation scope when the error is rendered, which Sentry's Django integration
(on by default) forks for each request; it is tagged with the request ID beside it, and the
processor drops a code left on a shared scope by an earlier request.
"""

from __future__ import annotations

from typing import Any

from errorregistry.request_id import current_request_id

try:
    import sentry_sdk
    from sentry_sdk.scope import add_global_event_processor
except ImportError:  # sentry-sdk is not installed
    sentry_sdk = None

REQUEST_ID_TAG = "request_id"
CODE_TAG = "error_code"


def active() -> bool:
    return sentry_sdk is not None and sentry_sdk.get_client().is_active()


def tag_error(request_id: str, code: str) -> None:
    """Tag the scope with the code the client received, and the request it belongs to."""
    if active():
        scope = sentry_sdk.get_isolation_scope()
        scope.set_tag(REQUEST_ID_TAG, request_id)
        scope.set_tag(CODE_TAG, code)


def tag_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Sentry's event processor: the current request's ID on every event captured during it."""
    request_id = current_request_id.get()
    if request_id is not None:
        tags = event.setdefault("tags", {})
        if tags.get(REQUEST_ID_TAG, request_id) != request_id:
            tags.pop(CODE_TAG, None)  # an earlier request's code, on a scope the two requests shared
        tags[REQUEST_ID_TAG] = request_id
    return event


if sentry_sdk is not None:
    add_global_event_processor(tag_event)
