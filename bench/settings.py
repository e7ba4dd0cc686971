"""Settings for the in-process benchmark (bench/run.py).

The demo project's middleware stack and views on a file SQLite database; a
second alias ``pg`` when ``ERRORREGISTRY_BENCH_PG_URL`` is set. ``run.py``
switches the exception handler, the middleware and ``ERROR_REGISTRY`` per
variant with ``override_settings``.
"""

from __future__ import annotations

import os
from pathlib import Path

from project.settings import database_from_url

VAR_DIR = Path(os.environ.get("ERRORREGISTRY_BENCH_DIR", "/tmp/errorregistry-bench"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]

try:  # a bench-only dependency (bench/requirements.txt): without it, run.py skips that variant
    import drf_standardized_errors  # noqa: F401

    HAS_STANDARDIZED_ERRORS = True
except ImportError:
    HAS_STANDARDIZED_ERRORS = False

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "errorregistry",
]
if HAS_STANDARDIZED_ERRORS:
    INSTALLED_APPS.append("drf_standardized_errors")

# The demo project's stack without errorregistry's middleware: the baseline variants use it as is.
BASE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
REGISTRY_MIDDLEWARE = ["errorregistry.middleware.RequestIdMiddleware", *BASE_MIDDLEWARE]
MIDDLEWARE = REGISTRY_MIDDLEWARE

ROOT_URLCONF = "bench.urls"
TEMPLATES: list = []

# SQLite as Django recommends running it in production: WAL journal, synchronous=NORMAL
# (a commit does not wait for fsync). ERRORREGISTRY_BENCH_SQLITE_JOURNAL=delete measures
# SQLite's out-of-the-box rollback journal, where every commit waits for the disk.
SQLITE_JOURNAL = os.environ.get("ERRORREGISTRY_BENCH_SQLITE_JOURNAL", "wal")
SQLITE_INIT = {
    "wal": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "delete": "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;",
}[SQLITE_JOURNAL]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / f"bench-{SQLITE_JOURNAL}.sqlite3",
        "OPTIONS": {"init_command": SQLITE_INIT, "transaction_mode": "IMMEDIATE"},
    }
}
if os.environ.get("ERRORREGISTRY_BENCH_PG_URL"):
    DATABASES["pg"] = database_from_url(os.environ["ERRORREGISTRY_BENCH_PG_URL"])

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {"EXCEPTION_HANDLER": "errorregistry.handlers.exception_handler"}
ERROR_REGISTRY = {
    "CATALOG": "project.demo.catalog.DEMO_CODES",
    "API_PREFIXES": ["/api/"],
    "AUDIT_CONTEXT": "project.demo.context.audit_context",
}

LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
