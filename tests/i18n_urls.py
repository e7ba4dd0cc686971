"""The registry's pages under ``i18n_patterns``: one URL per language (``/fr/api/errors/...``)."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

urlpatterns = i18n_patterns(path("api/errors/", include("errorregistry.urls")))
