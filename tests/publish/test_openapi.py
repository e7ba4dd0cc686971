"""The demo API's OpenAPI schema: valid, and every operation lists the error codes it can answer with."""

import json
import re

import pytest
from django.conf import settings
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import patched_settings
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from errorregistry.envelope.formatters import get_formatter
from errorregistry.models import ErrorCode
from errorregistry.publish.document import plain_text
from errorregistry.publish.members import describe_member
from errorregistry.registry.store import registry


def demo_schema(**generator_kwargs) -> dict:
    # A JSON round trip turns lazy strings and tuples into what a client downloads.
    return json.loads(json.dumps(SchemaGenerator(**generator_kwargs).get_schema(request=None, public=True)))


def error_codes(schema: dict, path: str, method: str, status: str) -> list[str]:
    """The codes documented for one error response: one named example per code."""
    response = schema["paths"][path][method]["responses"][status]
    (media,) = response["content"].values()
    return sorted(media["examples"])


def prose(node) -> list[str]:
    """Every description and summary in a schema: the text that Swagger UI renders as Markdown."""
    if isinstance(node, list):
        return [text for item in node for text in prose(item)]
    if not isinstance(node, dict):
        return []
    own = [value for key, value in node.items() if key in ("description", "summary") and isinstance(value, str)]
    return own + [text for key, value in node.items() if key not in ("description", "summary") for text in prose(value)]


def assert_documented(schema: dict, path: str, method: str, response) -> None:
    """The real response's status is documented, and its body matches that status's schema."""
    operation = schema["paths"][path][method]
    assert str(response.status_code) in operation["responses"], (response.status_code, sorted(operation["responses"]))
    content = operation["responses"][str(response.status_code)].get("content")
    if not content:
        assert not response.content
        return
    media = content[response["Content-Type"].split(";")[0]]
    OAS30Validator({**media["schema"], "components": schema["components"]}).validate(response.json())


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


@pytest.mark.django_db
@override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "URL_FORMAT_OVERRIDE": None})
def test_404_on_a_list_comes_only_from_the_format_override(synced):
    """DRF answers ?format=<unknown> with 404 on every view; without the override a list has no 404."""
    schema = demo_schema()
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


# -- the envelope component comes with the schema class -------------------------------------


@pytest.mark.django_db
def test_schema_class_alone_registers_the_envelope_component(schema):
    """The demo lists no postprocessing hook: every $ref to the envelope still resolves."""
    assert "errorregistry.openapi.add_error_components" not in json.dumps(settings.SPECTACULAR_SETTINGS)
    refs = {m.group(0) for m in re.finditer(r"#/components/schemas/\w+Envelope", json.dumps(schema))}
    assert refs == {"#/components/schemas/ErrorEnvelope"}
    assert schema["components"]["schemas"]["ErrorEnvelope"]["required"] == ["error"]
    validate(schema)


@pytest.mark.django_db
def test_the_former_hook_still_listed_changes_nothing(schema):
    hooks = ["drf_spectacular.hooks.postprocess_schema_enums", "errorregistry.openapi.add_error_components"]
    with patched_settings({"POSTPROCESSING_HOOKS": hooks}):
        with_hook = demo_schema()
    assert with_hook == schema


# -- every status a view can answer ---------------------------------------------------------


@pytest.mark.django_db
def test_every_operation_documents_406_and_a_real_406_matches(api_client, schema):
    for path, operations in schema["paths"].items():
        for method in operations:
            assert error_codes(schema, path, method, "406") == ["not_acceptable"]
    response = api_client.get("/api/demo/health/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert_documented(schema, "/api/demo/health/", "get", response)


@pytest.fixture
def project_schema(synced):
    return demo_schema(urlconf="tests.openapi_urls")


@pytest.mark.django_db
@pytest.mark.urls("tests.openapi_urls")
def test_a_rejecting_filter_backend_documents_400_and_a_real_400_matches(api_client, project_schema):
    assert error_codes(project_schema, "/api/groups/", "get", "400") == ["validation_error"]
    response = api_client.get("/api/groups/", {"id": "abc"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert_documented(project_schema, "/api/groups/", "get", response)


@pytest.mark.django_db
@pytest.mark.urls("tests.openapi_urls")
def test_a_page_number_paginator_documents_404_and_a_real_404_matches(api_client, project_schema):
    assert "not_found" in error_codes(project_schema, "/api/groups/", "get", "404")
    response = api_client.get("/api/groups/", {"page": 99})
    assert response.status_code == 404
    assert_documented(project_schema, "/api/groups/", "get", response)


@pytest.mark.django_db
def test_search_filter_and_limit_offset_add_no_error(synced):
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "URL_FORMAT_OVERRIDE": None}):
        responses = demo_schema(urlconf="tests.openapi_urls")["paths"]["/api/searched-groups/"]["get"]["responses"]
    assert "400" not in responses
    assert "404" not in responses


@pytest.mark.django_db
def test_catalog_documents_304_without_body_and_a_real_304_matches(client, schema):
    for path in ("/api/errors/", "/api/errors/{code}/"):
        not_modified = schema["paths"][path]["get"]["responses"]["304"]
        assert "content" not in not_modified
    etag = client.get("/api/errors/")["ETag"]
    response = client.get("/api/errors/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert_documented(schema, "/api/errors/", "get", response)


@pytest.mark.django_db
def test_orders_document_201_and_a_json_request_body(api_client, schema):
    operation = schema["paths"]["/api/demo/orders/"]["post"]
    assert "200" not in operation["responses"]
    assert list(operation["requestBody"]["content"]) == ["application/json"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OrderRequest"}
    body = {"email": "a@example.com", "connector": {"name": "crm", "config": {"api_key": "k" * 8, "region": "eu"}},
            "items": [{"sku": "A1", "qty": 1}]}
    response = api_client.post("/api/demo/orders/", body, format="json")
    assert response.status_code == 201
    assert_documented(schema, "/api/demo/orders/", "post", response)


@pytest.mark.django_db
def test_demo_documents_basic_and_session_authentication(schema):
    assert schema["components"]["securitySchemes"] == {
        "basicAuth": {"type": "http", "scheme": "basic"},
        "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
    }
    assert schema["paths"]["/api/demo/account/"]["get"]["security"] == [{"basicAuth": []}, {"cookieAuth": []}]


@pytest.mark.django_db
def test_teams_document_their_request_body(schema):
    content = schema["paths"]["/api/demo/teams/"]["post"]["requestBody"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/TeamRequest"}
    assert schema["components"]["schemas"]["TeamRequest"]["properties"]["name"]["minLength"] == 1


# -- the code list is open --------------------------------------------------------------------


@pytest.mark.django_db
def test_codes_are_an_open_list_never_a_closed_enum(schema):
    code = schema["paths"]["/api/demo/exports/"]["post"]["responses"]["402"]["content"]["application/json"]
    narrowed = code["schema"]["allOf"][1]["properties"]["error"]["properties"]["code"]
    assert narrowed["type"] == "string"
    assert "enum" not in narrowed
    assert "`insufficient_credits`" in narrowed["description"]
    assert '"enum"' not in json.dumps(schema["components"]["schemas"]["ErrorEnvelope"])


@pytest.mark.django_db
@pytest.mark.urls("tests.openapi_urls")
def test_an_undeclared_code_of_a_documented_status_still_matches(api_client, project_schema):
    """payment_required is not declared with @raises, but 402 is documented: the body stays valid."""
    assert error_codes(project_schema, "/api/payments/", "get", "402") == ["insufficient_credits"]
    response = api_client.get("/api/payments/", {"card": "declined"})
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "payment_required"
    assert_documented(project_schema, "/api/payments/", "get", response)


# -- only what the API can return, admin text escaped ---------------------------------------


@pytest.mark.django_db
def test_an_inactive_code_is_not_published(synced):
    ErrorCode.objects.filter(code="insufficient_scope").update(is_active=False)
    registry.invalidate()
    schema = demo_schema()
    assert "insufficient_scope" not in json.dumps(schema)
    assert "403" not in schema["paths"]["/api/demo/exports/"]["post"]["responses"]


@pytest.mark.django_db
def test_admin_text_is_escaped_in_descriptions(synced):
    ErrorCode.objects.filter(code="insufficient_credits").update(message="<script>alert(1)</script> *now* | [x](javascript:y)")
    registry.invalidate()
    schema = demo_schema()
    description = schema["paths"]["/api/demo/exports/"]["post"]["responses"]["402"]["description"]
    assert not [text for text in prose(schema) if "<script>" in text]
    assert r"\<script\>alert(1)\</script\> \*now\* \| \[x\](javascript:y)" in description
    validate(schema)


# -- the app's own views --------------------------------------------------------------------


@pytest.mark.django_db
def test_catalog_operations_have_schemas_and_unique_operation_ids(client, schema):
    operation_ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert schema["paths"]["/api/errors/"]["get"]["operationId"] == "errorregistry_catalog_list"
    assert schema["paths"]["/api/errors/{code}/"]["get"]["operationId"] == "errorregistry_catalog_retrieve"
    assert "/api/errors/reference/" not in schema["paths"]  # an HTML page for people, not an API operation
    assert_documented(schema, "/api/errors/", "get", client.get("/api/errors/"))
    assert_documented(schema, "/api/errors/{code}/", "get", client.get("/api/errors/rate_limited/"))
    assert_documented(schema, "/api/errors/{code}/", "get", client.get("/api/errors/no_such_code/"))


# -- one description of the envelope: the shipped JSON Schemas, the reference page's words -----


def envelope_component(schema: dict, name: str = "ErrorEnvelope") -> OAS30Validator:
    return OAS30Validator({**schema["components"]["schemas"][name], "components": schema["components"]})


@pytest.mark.django_db
def test_envelope_component_keeps_the_shipped_json_schema_constraints(schema):
    component = envelope_component(schema)
    valid = {"error": {"code": "c", "message": "m", "request_id": "req_1"}}
    assert component.is_valid(valid)
    assert not component.is_valid({"error": {"code": "c", "message": "m"}})  # request_id is required
    assert not component.is_valid({"error": {**valid["error"], "surprise": 1}})  # no undeclared member
    assert not component.is_valid({"error": {**valid["error"], "request_id": "has space"}})
    assert not component.is_valid({"error": {**valid["error"], "details": {}}})  # details only when there are some
    # Optional members not configured are not part of this envelope.
    assert not component.is_valid({"error": {**valid["error"], "action": "a"}})


@pytest.mark.django_db
def test_envelope_members_are_described_in_the_reference_page_words(schema):
    error = schema["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]["properties"]
    assert error["code"]["description"] == plain_text(describe_member(get_formatter(), "code", "c"))
    assert "X-Request-Id" in error["request_id"]["description"]


@pytest.mark.django_db
def test_configured_optional_members_are_always_present_in_the_configured_key_style(api_client, synced):
    settings_ = {"CATALOG": "project.demo.catalog.DEMO_CODES", "KEY_STYLE": "camel", "OPTIONAL_MEMBERS": ["retry_after"]}
    with override_settings(ERROR_REGISTRY=settings_):
        schema = demo_schema()
        body = api_client.get("/api/demo/errors/rate_limited/").json()
    error = schema["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]
    assert error["required"] == ["code", "message", "requestId", "retryAfter"]
    assert error["properties"]["retryAfter"]["nullable"] is True
    assert "action" not in error["properties"] and "request_id" not in error["properties"]
    assert body["error"]["retryAfter"] == 60
    envelope_component(schema).validate(body)
    validate(schema)


@pytest.mark.django_db
def test_a_custom_formatter_is_described_from_its_output(api_client, synced):
    settings_ = {"CATALOG": "project.demo.catalog.DEMO_CODES", "ENVELOPE": "tests.envelope.test_envelopes.FlatFormatter"}
    with override_settings(ERROR_REGISTRY=settings_):
        schema = demo_schema()
        body = api_client.get("/api/demo/account/").json()
    component = schema["components"]["schemas"]["FlatEnvelope"]
    assert component["required"] == ["flat_code", "id"]
    envelope_component(schema, "FlatEnvelope").validate(body)
    assert list(schema["paths"]["/api/demo/account/"]["get"]["responses"]["401"]["content"]) == [
        "application/vnd.flat+json"
    ]
    validate(schema)


@pytest.mark.django_db
def test_an_unknown_format_override_is_a_documented_404(api_client, schema):
    response = api_client.get("/api/demo/health/", {"format": "xml"})
    assert response.status_code == 404
    assert_documented(schema, "/api/demo/health/", "get", response)


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_upload_limit_is_a_documented_413(api_client, schema):
    response = api_client.post("/api/demo/orders/", {"email": "a" * 2000}, format="json")
    assert response.status_code == 413
    assert_documented(schema, "/api/demo/orders/", "post", response)


@pytest.mark.django_db
def test_the_documented_catalog_item_has_exactly_the_members_the_catalog_sends(client, schema):
    documented = schema["components"]["schemas"]["ErrorCatalogEntry"]
    sent = client.get("/api/errors/").json()[0]
    assert set(documented["properties"]) == set(sent)
