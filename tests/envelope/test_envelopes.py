"""Envelope presets, key styles, optional members and custom formatters, over real HTTP requests."""

import pytest
from django.test import override_settings

from errorregistry.envelope.formatters import BaseFormatter

ORDER_WITH_ERRORS = {"email": "nope", "connector": {"name": "c", "config": {"api_key": "k", "region": "eu"}}, "items": [{"sku": "a", "qty": 0}]}


def post_order(client, **extra):
    return client.post("/api/demo/orders/", ORDER_WITH_ERRORS, format="json", **extra)


@pytest.mark.django_db
def test_default_error_preset(api_client):
    response = post_order(api_client)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "request_id", "details"}
    assert error["details"]["errors"][0] == {
        "field": "email",
        "code": "invalid",
        "message": "Enter a valid email address.",
    }


@pytest.mark.django_db
def test_details_are_left_out_when_there_are_none(api_client):
    body = api_client.get("/api/demo/account/").json()
    assert body == {"error": {"code": "not_authenticated", "message": body["error"]["message"], "request_id": body["error"]["request_id"]}}


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"ENVELOPE": "detail", "CATALOG": "project.demo.catalog.DEMO_CODES"})
def test_detail_preset_reproduces_the_detail_object_seed(api_client):
    response = api_client.post("/api/demo/exports/", headers={"X-Token-Scope": "read_write"})
    assert response.json() == {
        "detail": {
            "code": "insufficient_credits",
            "message": "Not enough credits: 3 left, 10 needed.",
            "request_id": response["X-Request-Id"],
            "details": {"balance": 3, "required": 10},
        }
    }


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"ENVELOPE": "status"})
def test_status_preset_wraps_the_error_with_null_data(api_client):
    body = api_client.get("/api/demo/account/").json()
    assert body["status"] == "error" and body["data"] is None
    assert body["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"ENVELOPE": "problem", "CATALOG": "project.demo.catalog.DEMO_CODES"})
def test_problem_preset_is_rfc_9457_with_extension_members(api_client):
    response = post_order(api_client)
    body = response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert body["type"] == "/api/errors/reference/#code-validation_error"  # the code's row on the reference page
    assert body["status"] == 400 and body["instance"] == "/api/demo/orders/"
    assert body["title"] == body["detail"] == "One or more fields failed validation."
    assert body["code"] == "validation_error" and body["request_id"] == response["X-Request-Id"]
    assert {"field": "items.0.qty", "code": "min_value", "message": "Ensure this value is greater than or equal to 1."} in body["errors"]
    docs = api_client.get("/api/demo/errors/insufficient_credits/").json()
    assert docs["type"] == "https://docs.example.com/errors#insufficient_credits"


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"ENVELOPE": "problem", "CATALOG": "project.demo.catalog.DEMO_CODES"})
def test_problem_title_is_the_same_for_every_occurrence_of_a_code(api_client):
    """RFC 9457: the title does not change between occurrences; the detail carries the filled-in text."""
    first = api_client.post("/api/demo/exports/", headers={"X-Token-Scope": "read_write"}).json()
    second = api_client.post("/api/demo/teams/", {"name": "t"}, format="json").json()
    assert first["code"] == second["code"] == "insufficient_credits"
    assert first["detail"] != second["detail"]
    assert first["title"] == second["title"] == "Payment Required"


@pytest.mark.django_db
@pytest.mark.parametrize("preset", ["error", "detail", "status", "problem"])
def test_field_error_shape_is_identical_across_presets(api_client, preset):
    with override_settings(ERROR_REGISTRY={"ENVELOPE": preset}):
        body = post_order(api_client).json()
    errors = body["errors"] if preset == "problem" else (body.get("error") or body.get("detail"))["details"]["errors"]
    assert {"field": "connector.config.api_key", "code": "min_length", "message": "Ensure this field has at least 8 characters."} in errors


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"KEY_STYLE": "camel", "OPTIONAL_MEMBERS": ["action", "retryable", "retry_after", "docs_url"]})
def test_camel_case_keys_and_optional_members(api_client):
    response = api_client.get("/api/demo/throttled/")
    error = api_client.get("/api/demo/errors/rate_limited/").json()["error"]
    assert response.status_code == 200
    assert error["requestId"].startswith("req_")
    assert error["retryable"] is True and error["retryAfter"] == 60 and error["docsUrl"] == ""
    assert error["action"].startswith("Wait for")
    assert "request_id" not in error


class FlatFormatter(BaseFormatter):
    content_type = "application/vnd.flat+json"

    def format(self, error):
        return {"flat_code": error.code, "id": error.request_id}


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"ENVELOPE": "tests.envelope.test_envelopes.FlatFormatter"})
def test_custom_formatter_by_dotted_path_renders_drf_and_non_drf_failures(api_client):
    drf = api_client.get("/api/demo/account/")
    plain = api_client.get("/api/no-such-url/")
    assert drf.json() == {"flat_code": "not_authenticated", "id": drf["X-Request-Id"]}
    assert plain.json() == {"flat_code": "not_found", "id": plain["X-Request-Id"]}
    assert plain["Content-Type"].startswith("application/vnd.flat+json")
