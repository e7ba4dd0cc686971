from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ErrorRegistryConfig(AppConfig):
    name = "errorregistry"
    verbose_name = _("Error registry")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Only wiring here: nothing at import time touches the database or the cache.
        from errorregistry import checks, signals  # noqa: F401
