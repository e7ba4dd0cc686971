"""Sentry: the request's scope carries the request ID, and on an error the registry code,
so an event found in Sentry leads to the audit row (and the audit row back to Sentry's search).

Nothing to configure: active when ``sentry-sdk`` is installed and initialised. The tags go on
the isolation scope, which Sentry's Django integration (on by default) forks for each request.
"""

from __future__ import annotations

try:
    import sentry_sdk
except ImportError:  # sentry-sdk is not installed
    sentry_sdk = None

REQUEST_ID_TAG = "request_id"
CODE_TAG = "error_code"


def active() -> bool:
    return sentry_sdk is not None and sentry_sdk.get_client().is_active()


def tag_request(request_id: str) -> None:
    """Tag the current request's scope with its request ID (and no code yet, should the scope be shared)."""
    if active():
        scope = sentry_sdk.get_isolation_scope()
        scope.set_tag(REQUEST_ID_TAG, request_id)
        scope.remove_tag(CODE_TAG)


def tag_error(request_id: str, code: str) -> None:
    """Tag the scope with the code the client received (and the request ID, if the middleware did not run)."""
    if active():
        scope = sentry_sdk.get_isolation_scope()
        scope.set_tag(REQUEST_ID_TAG, request_id)
        scope.set_tag(CODE_TAG, code)
