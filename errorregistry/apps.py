import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ErrorRegistryConfig(AppConfig):
    name = "errorregistry"
    verbose_name = _("Error registry")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Only wiring here: nothing at import time touches the database or the cache.
        from errorregistry import checks, signals  # noqa: F401

        if importlib.util.find_spec("drf_spectacular") is not None:
            # Registers the OpenAPI description of the app's own catalog views (drf-spectacular
            # extensions are found by being imported), so a project that includes
            # errorregistry.urls gets a warning-free schema whatever schema class it uses.
            from errorregistry.publish import openapi  # noqa: F401

        if importlib.util.find_spec("celery") is not None:
            # Signal receivers only; they do nothing unless ERROR_REGISTRY["CELERY"] is True.
            from errorregistry.integrations import celery

            celery.connect()
