"""The ``ERROR_REGISTRY`` settings dict, read lazily and reset on ``setting_changed``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

SETTING_NAME = "ERROR_REGISTRY"
T = TypeVar("T")

DEFAULTS: dict[str, Any] = {
    # Envelope: a preset name ("error", "detail", "status", "problem", "drf-standardized-errors"),
    # a dotted path to a formatter, or a template: the envelope as it looks, "$source" values filled in.
    "ENVELOPE": "error",
    # How a template's $field_errors is laid out: "map" ({"dot.path": "message"}) or an item template.
    "FIELD_ERRORS": {"field": "$field", "code": "$code", "message": "$message"},
    # Built-in code -> the name clients see (e.g. {"not_found": "resource_not_found"}).
    "BUILTIN_CODE_NAMES": {},
    # "snake" (request_id) or "camel" (requestId) keys in a preset's envelope.
    "KEY_STYLE": "snake",
    # Optional members added to every envelope: any of "action", "retryable", "retry_after", "docs_url".
    "OPTIONAL_MEMBERS": [],
    # Dotted path to the project's list of code declarations (errorregistry.catalog.Declaration).
    "CATALOG": None,
    # The categories a code may have (values, or (value, label) pairs); None: the built-in list.
    "CATEGORIES": None,
    # Exception class (dotted path) -> registry code; merged over the built-in table.
    "EXCEPTION_CODES": {},
    # Log unexpected 5xx on django.request with the traceback (exc_info), as Django logs its 500s.
    # False: one line naming the exception class and request ID; the traceback is in the audit only.
    "LOG_TRACEBACKS": True,
    # Paths whose non-DRF failures are rendered as envelopes too.
    "API_PREFIXES": ["/api/"],
    # Seconds between two checks of the shared registry version.
    "RELOAD_INTERVAL": 1.0,
    # Seconds after which a process reloads the registry even without a new version stamp:
    # the bound on staleness when the shared cache is down and a stamp cannot travel.
    "MAX_STALENESS": 60.0,
    "CACHE_ALIAS": "default",
    # Request IDs.
    "REQUEST_ID_HEADER": "X-Request-Id",
    "TRUST_INBOUND_REQUEST_ID": False,
    "INBOUND_REQUEST_ID_MAX_LENGTH": 128,
    "INBOUND_REQUEST_ID_PATTERN": r"[A-Za-z0-9][A-Za-z0-9._:\-]*",
    # The support event page's link to a trace: "https://tracing.example.com/trace/{trace_id}"
    # ({trace_id} and {span_id} are filled in; only http and https links are shown). None: no link.
    "TRACE_URL": None,
    # Celery: tasks started during a request carry its request ID (and trace) and run with it current.
    "CELERY": False,
    # Audit.
    "AUDIT": True,
    # "background": a writer thread stores events in batches, off the request path.
    # "inline": the row is stored before the response leaves (one INSERT per error response).
    "AUDIT_MODE": "background",
    # Events waiting for the writer, per process; past this, events go to the errorregistry.audit log.
    "AUDIT_QUEUE_SIZE": 10_000,
    # The writer stores a batch every AUDIT_FLUSH_INTERVAL seconds or AUDIT_BATCH_SIZE events.
    "AUDIT_BATCH_SIZE": 500,
    "AUDIT_FLUSH_INTERVAL": 0.1,
    # Seconds a batch may wait for a lock or run (PostgreSQL); then it is logged instead.
    "AUDIT_WRITE_TIMEOUT": 5.0,
    # Seconds the writer may take to store what is queued when the process exits.
    "AUDIT_SHUTDOWN_TIMEOUT": 5.0,
    # At most one "N events logged instead of stored" warning per this many seconds.
    "AUDIT_FAILURE_LOG_INTERVAL": 10.0,
    # Per code and client IP, per process: past "burst" events, more than "rate" per second are
    # counted into one ErrorFlood row per "window" seconds instead of stored. None: no limit.
    "AUDIT_FLOOD_LIMIT": {"rate": 20, "burst": 200, "window": 60},
    "AUDIT_DATABASE": None,
    # Where audit events go: "database" (the ErrorEvent table and its hourly counts), "log" (one JSON
    # line per event on the errorregistry.audit.events logger, for a log pipeline), or both.
    "AUDIT_SINKS": ["database"],
    "AUDIT_CONTEXT": None,
    "AUDIT_CLIENT_IP": True,
    "REDACT_KEYS": [],
    "REDACTION_MARKER": "[redacted]",
    "PURGE_OLDER_THAN": "30d",
    "PURGE_BATCH_SIZE": 5000,
    # The reference page's code tables: merged over REFERENCE_DEFAULTS (errorregistry.publish.reference).
    "REFERENCE": {},
    # Cache-Control max-age of the published pages: the JSON catalog and the reference page.
    "CATALOG_MAX_AGE": 60,
}

IMPORT_STRINGS = {"AUDIT_CONTEXT"}


class ErrorRegistrySettings:
    """Attribute access to ``settings.ERROR_REGISTRY`` merged over ``DEFAULTS``.

    Unknown keys fail loudly: a typo in a setting name should never be a
    silent no-op.
    """

    def __init__(self) -> None:
        self._user: dict[str, Any] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        if self._user is None:
            user = getattr(settings, SETTING_NAME, {}) or {}
            unknown = sorted(set(user) - set(DEFAULTS))
            if unknown:
                raise ImproperlyConfigured(
                    f"Unknown {SETTING_NAME} setting(s): {', '.join(unknown)}. "
                    f"Valid keys: {', '.join(sorted(DEFAULTS))}."
                )
            self._user = dict(user)
        return self._user

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(f"Invalid {SETTING_NAME} setting: {name!r}")
        value = self.user_settings.get(name, DEFAULTS[name])
        if name in IMPORT_STRINGS and isinstance(value, str):
            value = import_string(value)
        # Later reads find the instance attribute and skip __getattr__: settings are read on every request.
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        for name in DEFAULTS:
            self.__dict__.pop(name, None)
        self._user = None
        for cached in _derived:
            cached.cache_clear()


_derived: list[Any] = []


def derived_from_settings(function: Callable[[], T]) -> Callable[[], T]:
    """Cache what ``function`` builds from the settings until they change: the error path
    reads a formatter or a table built once, it does not rebuild or re-validate it per response."""
    cached = functools.cache(function)
    _derived.append(cached)
    return cached


registry_settings = ErrorRegistrySettings()


@receiver(setting_changed)
def _reload_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING_NAME:
        registry_settings.reload()
