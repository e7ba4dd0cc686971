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
)
MIDDLEWARE = ["tests.load.worker.WorkerPidMiddleware", *MIDDLEWARE]  # noqa: F405
# The load includes requested crashes: keep their tracebacks out of the test output.
LOGGING = dict(LOGGING, root={"handlers": ["console"], "level": "CRITICAL"})  # noqa: F405
