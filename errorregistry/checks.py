"""System checks with stable ids: a misconfiguration is reported at startup, with how to fix it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

HANDLER = "errorregistry.handlers.exception_handler"
MIDDLEWARE = "errorregistry.middleware.RequestIdMiddleware"
LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


@register(Tags.compatibility)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    from errorregistry.conf import registry_settings

    messages: list[Warning] = []
    handler = getattr(settings, "REST_FRAMEWORK", {}).get("EXCEPTION_HANDLER")
    if handler != HANDLER:
        messages.append(
            Warning(
                "DRF's exception handler is not errorregistry's: DRF errors will not use the envelope.",
                hint=f'Set REST_FRAMEWORK["EXCEPTION_HANDLER"] = "{HANDLER}".',
                id="errorregistry.W001",
            )
        )
    if MIDDLEWARE not in settings.MIDDLEWARE:
        messages.append(
            Warning(
                "RequestIdMiddleware is not installed: no X-Request-Id header, no audit, "
                "and non-DRF failures under the API prefixes keep Django's HTML pages.",
                hint=f'Add "{MIDDLEWARE}" near the top of MIDDLEWARE.',
                id="errorregistry.W002",
            )
        )
    backend = settings.CACHES.get(registry_settings.CACHE_ALIAS, {}).get("BACKEND", "")
    if backend in LOCAL_CACHES and not settings.DEBUG:
        messages.append(
            Warning(
                f"The '{registry_settings.CACHE_ALIAS}' cache is local to each process: "
                "registry edits made in the admin will not reach other workers.",
                hint="Use a shared cache (Redis, Memcached, database or file-based) or set "
                'ERROR_REGISTRY["CACHE_ALIAS"] to one.',
                id="errorregistry.W003",
            )
        )
    return messages
