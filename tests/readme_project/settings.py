"""A bare Django project plus exactly what the README tells an adopter to add."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "readme-project-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["README_PROJECT_DB"]}}
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "drf_spectacular",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.readme_project.urls"

# -- what the README says ---------------------------------------------------------------
INSTALLED_APPS += ["errorregistry"]
MIDDLEWARE.insert(0, "errorregistry.middleware.RequestIdMiddleware")
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "errorregistry.handlers.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "errorregistry.openapi.ErrorResponsesAutoSchema",
}
# The README points CACHES at Redis so edits reach every worker; one process needs no Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ERROR_REGISTRY = {"CATALOG": "tests.readme_project.errors.CODES"}
