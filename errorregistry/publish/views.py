"""Public, read-only views of the registry: the JSON catalog of codes and the HTML error reference."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag
from django.views import View
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from errorregistry import __version__
from errorregistry.conf import registry_settings
from errorregistry.envelope.language import public_language
from errorregistry.exceptions import ApiError
from errorregistry.publish.document import render_html
from errorregistry.publish.reference import build_reference
from errorregistry.registry.declarations import builtin_name
from errorregistry.registry.store import Entry, registry


def catalog_item(entry: Entry, language: str) -> dict[str, Any]:
    """The code's public contract, its texts in ``language``."""
    message, action, _ = entry.texts(language)
    return {"code": entry.code, **entry.as_fields(), "message": message, "action": action}


class CatalogMixin:
    """No authentication, no session: the catalog costs zero queries once the registry is warm."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def language(self, request: Request) -> str:
        return public_language(request._request, request.query_params.get("lang"))

    def cached_response(self, request: Request, data: Any, language: str, suffix: str) -> Response:
        etag = quote_etag(f"{__version__}-{registry.version}-{language}-{suffix}")
        if_none_match = request.headers.get("If-None-Match", "")
        if etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*":
            response = Response(status=304)
        else:
            response = Response(data)
        response["ETag"] = etag
        response["Vary"] = "Accept-Language"
        response["Content-Language"] = language
        patch_cache_control(response, public=True, max_age=registry_settings.CATALOG_MAX_AGE)
        return response


class CatalogView(CatalogMixin, APIView):
    """Every active code, sorted by code, in the client's language."""

    def get(self, request: Request) -> Response:
        language = self.language(request)
        items = [catalog_item(entry, language) for _, entry in sorted(registry.all().items())]
        return self.cached_response(request, items, language, "all")


class CatalogDetailView(CatalogMixin, APIView):
    def get(self, request: Request, code: str) -> Response:
        entry = registry.get(code)
        if entry is None or not entry.is_active:
            raise ApiError(builtin_name("not_found"), details={"code": code[:64]})
        language = self.language(request)
        return self.cached_response(request, catalog_item(entry, language), language, code)


class ReferenceView(View):
    """The error reference as a plain HTML page, in ``?lang=`` or the Accept-Language language.

    A plain Django view, not DRF: it is a page for people, and it stays out of the OpenAPI schema.
    """

    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest) -> HttpResponse:
        language = public_language(request, request.GET.get("lang"))
        response = HttpResponse(render_html(build_reference(language)), content_type="text/html; charset=utf-8")
        response["Content-Language"] = language
        # Inline CSS only: no script, no external asset may run or load on this page.
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        patch_vary_headers(response, ["Accept-Language"])
        patch_cache_control(response, public=True, max_age=registry_settings.CATALOG_MAX_AGE)
        return response
