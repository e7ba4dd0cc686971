"""A project that only includes errorregistry.urls, with drf-spectacular's own AutoSchema."""

from tests.readme_project.settings import *  # noqa: F403

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "errorregistry.handlers.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
ROOT_URLCONF = "tests.readme_project.urls_bare"
