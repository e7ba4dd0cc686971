"""The OpenAPI description of the app's own catalog views (drf-spectacular view extensions,
registered by being imported)."""


from __future__ import annotations

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers

# -- the app's own views ------------------------------------------------------------------


class ErrorCatalogEntrySerializer(serializers.Serializer):
    """Describes one item of ``errorregistry.publish.views.catalog_item`` (the schema only; the view builds dicts)."""

    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    http_status = serializers.IntegerField(min_value=400, max_value=599)
    category = serializers.CharField()
    retryable = serializers.BooleanField()
    retry_after = serializers.IntegerField(allow_null=True, min_value=0)
    message = serializers.CharField(allow_blank=True, help_text="In the requested language.")
    action = serializers.CharField(allow_blank=True, help_text="What to do about it, in the requested language.")
    docs_url = serializers.CharField(allow_blank=True)


CATALOG_PARAMETERS = [
    OpenApiParameter(
        "lang", OpenApiTypes.STR, OpenApiParameter.QUERY,
        description="Language of the texts; otherwise Accept-Language decides (cookies never do: the response is public).",
    ),
    OpenApiParameter(
        "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
        description="The ETag of a copy you hold: 304 without a body when it is still current.",
    ),
]
NOT_MODIFIED = OpenApiResponse(description="Not modified: the copy matching If-None-Match is current.")


class CatalogViewSchema(OpenApiViewExtension):
    target_class = "errorregistry.publish.views.CatalogView"

    def view_replacement(self) -> type:
        return extend_schema_view(
            get=extend_schema(
                operation_id="errorregistry_catalog_list",
                summary="Every active error code",
                parameters=CATALOG_PARAMETERS,
                responses={200: ErrorCatalogEntrySerializer(many=True), 304: NOT_MODIFIED},
            )
        )(type(self.target.__name__, (self.target,), {}))


class CatalogDetailViewSchema(OpenApiViewExtension):
    target_class = "errorregistry.publish.views.CatalogDetailView"

    def view_replacement(self) -> type:
        return extend_schema_view(
            get=extend_schema(
                operation_id="errorregistry_catalog_retrieve",
                summary="One active error code",
                parameters=CATALOG_PARAMETERS,
                responses={200: ErrorCatalogEntrySerializer, 304: NOT_MODIFIED},
            )
        )(type(self.target.__name__, (self.target,), {}))
