"""The demo project under gunicorn for bench/server.py: errorregistry (audit on) or DRF's default handler.

ERRORREGISTRY_BENCH_VARIANT=drf removes errorregistry's middleware and puts
DRF's own exception handler back; =errorregistry-audit-off turns the audit off;
=errorregistry-inline stores each event before its response; =errorregistry-flood keeps the
default flood limit (every other errorregistry variant stores every event);
=errorregistry-async-commit writes the audit through an alias with
synchronous_commit=off; anything else keeps the demo as it ships.
Database connections persist (CONN_MAX_AGE, 60 s by default), as in production.
"""

import os

from project.settings import *  # noqa: F403
from project.settings import DATABASES, ERROR_REGISTRY, MIDDLEWARE, REST_FRAMEWORK

VARIANT = os.environ.get("ERRORREGISTRY_BENCH_VARIANT", "errorregistry")

DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("ERRORREGISTRY_BENCH_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

if VARIANT == "errorregistry-async-commit":
    # The audit rows through their own alias whose commits do not wait for the WAL flush
    # (PostgreSQL's synchronous_commit=off: a crash may lose the last rows, never corrupts).
    DATABASES["audit"] = {**DATABASES["default"], "OPTIONS": {**DATABASES["default"].get("OPTIONS", {}),
                                                              "options": "-c synchronous_commit=off"}}
    ERROR_REGISTRY = {**ERROR_REGISTRY, "AUDIT_DATABASE": "audit"}
elif VARIANT == "errorregistry-audit-off":
    ERROR_REGISTRY = {**ERROR_REGISTRY, "AUDIT": False}
elif VARIANT == "errorregistry-inline":
    ERROR_REGISTRY = {**ERROR_REGISTRY, "AUDIT_MODE": "inline"}
elif VARIANT == "drf":
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "errorregistry.middleware.RequestIdMiddleware"]
    REST_FRAMEWORK = {**REST_FRAMEWORK, "EXCEPTION_HANDLER": "rest_framework.views.exception_handler"}

if VARIANT != "errorregistry-flood":
    # One client address sends everything: without this, flood control would store 20 events per
    # second per code and count the rest, and the bench would measure counting, not storing.
    ERROR_REGISTRY = {**ERROR_REGISTRY, "AUDIT_FLOOD_LIMIT": None}

# Django logs every 4xx as a warning; under load that is one line per request, in both variants alike.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"bare": {"format": "%(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "ERROR", "formatter": "bare"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
    # Events the audit writer could not store come out as JSON lines: bench/server.py counts them.
    "loggers": {"errorregistry.audit": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}
