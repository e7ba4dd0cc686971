"""The demo API's OpenAPI schema: valid, and every operation lists the error codes it can answer with."""

import json

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from errorregistry.models import ErrorCode
from errorregistry.registry import registry


def demo_schema() -> dict:
    # A JSON round trip turns lazy strings and tuples into what a client downloads.
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


def error_codes(schema: dict, path: str, method: str, status: str) -> list[str]:
    """The code enum of one error response, wherever the envelope keeps its code."""
    response = schema["paths"][path][method]["responses"][status]
    (media,) = response["content"].values()
    narrowed = media["schema"]["allOf"][1]
    while "enum" not in narrowed:
        (narrowed,) = narrowed["properties"].values()
    return narrowed["enum"]


@pytest.fixture
def schema(synced):
    return demo_schema()


@pytest.mark.django_db
def test_demo_schema_is_a_valid_openapi_document(schema):
    validate(schema)


@pytest.mark.django_db
def test_schema_endpoint_serves_the_same_valid_document(client, synced):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    served = response.json()
    validate(served)
    assert "ErrorEnvelope" in served["components"]["schemas"]


@pytest.mark.django_db
def test_exports_operation_lists_its_declared_business_codes(schema):
    assert error_codes(schema, "/api/demo/exports/", "post", "402") == ["insufficient_credits"]
    assert error_codes(schema, "/api/demo/exports/", "post", "403") == ["insufficient_scope"]


@pytest.mark.django_db
def test_protected_view_documents_401_and_403(schema):
    responses = schema["paths"]["/api/demo/account/"]["get"]["responses"]
    assert {"401", "403", "500"} <= set(responses)
    assert error_codes(schema, "/api/demo/account/", "get", "401") == ["authentication_failed", "not_authenticated"]
    assert error_codes(schema, "/api/demo/account/", "get", "403") == ["permission_denied"]


@pytest.mark.django_db
def test_open_view_documents_no_403(schema):
    assert "403" not in schema["paths"]["/api/demo/orders/"]["post"]["responses"]


@pytest.mark.django_db
def test_throttled_view_documents_429_with_retry_after(schema):
    response = schema["paths"]["/api/demo/throttled/"]["get"]["responses"]["429"]
    assert error_codes(schema, "/api/demo/throttled/", "get", "429") == ["rate_limited"]
    assert "Retry-After" in response["headers"]
    assert "429" not in schema["paths"]["/api/demo/account/"]["get"]["responses"]


@pytest.mark.django_db
def test_body_operations_document_400_and_415(schema):
    assert error_codes(schema, "/api/demo/orders/", "post", "400") == ["invalid_request", "validation_error"]
    assert error_codes(schema, "/api/demo/orders/", "post", "415") == ["unsupported_media_type"]
    assert "415" not in schema["paths"]["/api/demo/account/"]["get"]["responses"]


@pytest.mark.django_db
def test_detail_routes_document_404(schema):
    assert error_codes(schema, "/api/errors/{code}/", "get", "404") == ["not_found"]
    assert "404" not in schema["paths"]["/api/errors/"]["get"]["responses"]


@pytest.mark.django_db
def test_every_operation_documents_500_and_its_request_id_header(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            response = operation["responses"]["500"]
            assert "internal_error" in error_codes(schema, path, method, "500")
            assert "X-Request-Id" in response["headers"]


@pytest.mark.django_db
def test_a_status_moved_in_the_admin_moves_the_code_in_the_schema(synced):
    ErrorCode.objects.filter(code="insufficient_credits").update(http_status=403)
    registry.invalidate()
    schema = demo_schema()
    assert "402" not in schema["paths"]["/api/demo/exports/"]["post"]["responses"]
    assert error_codes(schema, "/api/demo/exports/", "post", "403") == ["insufficient_credits", "insufficient_scope"]


@pytest.mark.django_db
def test_real_error_response_matches_the_envelope_component(api_client, schema):
    response = api_client.post("/api/demo/exports/", {}, format="json", HTTP_X_TOKEN_SCOPE="read_write")
    assert response.status_code == 402
    body = response.json()

    OAS30Validator(schema["components"]["schemas"]["ErrorEnvelope"]).validate(body)
    assert body["error"]["code"] in error_codes(schema, "/api/demo/exports/", "post", "402")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("preset", "component", "media_type"),
    [
        ("detail", "DetailEnvelope", "application/json"),
        ("status", "StatusEnvelope", "application/json"),
        ("problem", "ProblemEnvelope", "application/problem+json"),
    ],
)
def test_envelope_component_follows_the_configured_preset(api_client, synced, preset, component, media_type):
    settings = {"CATALOG": "project.demo.catalog.DEMO_CODES", "ENVELOPE": preset, "KEY_STYLE": "camel",
                "OPTIONAL_MEMBERS": ["action", "retryable", "retry_after", "docs_url"]}
    with override_settings(ERROR_REGISTRY=settings):
        schema = demo_schema()
        body = api_client.post("/api/demo/orders/", {"items": [{}]}, format="json").json()
    validate(schema)
    assert "ErrorEnvelope" not in schema["components"]["schemas"]
    OAS30Validator(schema["components"]["schemas"][component]).validate(body)
    assert list(schema["paths"]["/api/demo/orders/"]["post"]["responses"]["400"]["content"]) == [media_type]
    assert error_codes(schema, "/api/demo/orders/", "post", "400") == ["invalid_request", "validation_error"]


@pytest.mark.django_db
def test_swagger_ui_loads_its_assets_from_the_package(client, synced):
    page = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn.jsdelivr.net" not in page


@pytest.mark.django_db
def test_session_only_views_document_not_authenticated_under_403(synced):
    """DRF answers 403 when the first authenticator offers no challenge; the schema says so too."""
    from django.urls import path
    from rest_framework.authentication import BasicAuthentication, SessionAuthentication
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import APIView

    def protected_view(*authenticators):
        class Protected(APIView):
            authentication_classes = list(authenticators)
            permission_classes = [IsAuthenticated]

            def get(self, request):
                return Response({})

        return Protected.as_view()

    patterns = [
        path("api/session-only/", protected_view(SessionAuthentication)),
        path("api/basic-first/", protected_view(BasicAuthentication, SessionAuthentication)),
    ]
    schema = json.loads(json.dumps(SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)))
    assert "not_authenticated" in error_codes(schema, "/api/session-only/", "get", "403")
    assert "401" not in schema["paths"]["/api/session-only/"]["get"]["responses"]
    assert "not_authenticated" in error_codes(schema, "/api/basic-first/", "get", "401")
