"""Settings for the gunicorn workers of the load test: the demo project on PostgreSQL and Redis.

The test passes everything through the environment: DATABASE_URL (the dedicated
load database), REDIS_URL, ERRORREGISTRY_LOAD_CACHE_PREFIX (a key prefix of its
own, shared by the workers and the test process that edits the registry) and
ERRORREGISTRY_LOAD_RELOAD_INTERVAL.
"""

import os

from project.settings import *  # noqa: F403

DEBUG = False
# Persistent connections, as a production deployment would run.
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = os.environ["ERRORREGISTRY_LOAD_CACHE_PREFIX"]  # noqa: F405
ERROR_REGISTRY = dict(  # noqa: F405
    ERROR_REGISTRY,  # noqa: F405
    RELOAD_INTERVAL=float(os.environ.get("ERRORREGISTRY_LOAD_RELOAD_INTERVAL", "1.0")),
    # The load comes from one client address: these tests count every event, not floods.
    AUDIT_FLOOD_LIMIT=None,
    AUDIT_WRITE_TIMEOUT=float(os.environ.get("ERRORREGISTRY_LOAD_AUDIT_WRITE_TIMEOUT", "5")),
)
if os.environ.get("ERRORREGISTRY_LOAD_AUDIT_PORT"):
    # The audit on its own alias, through the test's delaying proxy: the same database, slower.
    DATABASES["audit"] = dict(DATABASES["default"], PORT=os.environ["ERRORREGISTRY_LOAD_AUDIT_PORT"])  # noqa: F405
    ERROR_REGISTRY["AUDIT_DATABASE"] = "audit"
MIDDLEWARE = ["tests.load.worker.WorkerPidMiddleware", *MIDDLEWARE]  # noqa: F405
# The load includes requested crashes: keep their tracebacks out of the test output. Events the
# audit writer could not store, and its summaries, are printed: the tests account for them.
LOGGING = dict(
    LOGGING,  # noqa: F405
    formatters={"bare": {"format": "%(message)s"}},
    handlers={"bare": {"class": "logging.StreamHandler", "formatter": "bare"}},
    root={"handlers": ["bare"], "level": "CRITICAL"},
    loggers={
        "errorregistry.audit": {"handlers": ["bare"], "level": "ERROR", "propagate": False},
        "errorregistry": {"handlers": ["bare"], "level": "WARNING", "propagate": False},
    },
)
