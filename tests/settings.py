"""Test settings: the demo project on in-memory SQLite and a local cache, unless the
environment points the suite at PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)."""

import os

from project.settings import *  # noqa: F403
from project.settings import database_from_url

SECRET_KEY = "tests-only"
# Most tests read the audit row right after the response, inside their own transaction: they
# run the inline mode. tests/test_audit_writer.py covers the background writer (the default)
# and flood control on a real database, with committed transactions.
ERROR_REGISTRY = {**ERROR_REGISTRY, "AUDIT_MODE": "inline", "AUDIT_FLOOD_LIMIT": None}  # noqa: F405
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
    # One test database per run, so two runs on one server never drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_errorregistry_{os.getpid()}"}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "errorregistry-tests",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
