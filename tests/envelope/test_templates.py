"""Envelope templates, field-error layouts, renamed built-in codes and their start-up checks."""

import jsonschema
import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

from errorregistry.envelope.formatters import RenderedError, TemplateFormatter
from errorregistry.models import ErrorCode
from errorregistry.registry.store import registry
from errorregistry.schemas import configured_schema, envelope_schema

DEMO = "project.demo.catalog.DEMO_CODES"
ORDER = {"email": "x", "connector": {"name": "c", "config": {"api_key": "short", "region": "eu"}}, "items": [{"sku": "a", "qty": 0}]}


def error_ids(**registry_settings):
    with override_settings(ERROR_REGISTRY=registry_settings):
        return [(m.id, m.msg) for m in run_checks(databases=[]) if m.id.startswith("errorregistry.E01")]


def rendered(**overrides):
    values = dict(code="c", status=400, message="m", request_id="req_1")
    values.update(overrides)
    return RenderedError(**values)


# -- the template language ------------------------------------------------------------


def test_sources_constants_alternatives_and_empty_members():
    template = {"kind": "failure", "data": None, "n": 0, "ok": False, "e": {"code": "$code", "hint": "$action",
                "where": "$docs_url|$instance", "retry_after": "$retry_after", "kept": "$retry_after!"}}
    body = TemplateFormatter(template).format(rendered(instance="/x/"))
    assert body == {"kind": "failure", "data": None, "n": 0, "ok": False,
                    "e": {"code": "c", "where": "/x/", "kept": None}}


def test_a_wrapper_left_empty_is_dropped():
    assert TemplateFormatter({"meta": {"hint": "$action"}, "code": "$code"}).format(rendered()) == {"code": "c"}


def test_field_errors_as_a_map_as_pointers_and_never_dropped():
    errors = [{"field": "items.0.qty", "code": "min_value", "message": "Too small."},
              {"field": "items.0.qty", "code": "invalid", "message": "Not a number."},
              {"field": None, "code": "invalid", "message": "Bad pair."}]
    as_map = TemplateFormatter({"e": "$field_errors"}, "map").format(rendered(errors=errors))
    assert as_map == {"e": {"items.0.qty": "Too small. Not a number.", "non_field_errors": "Bad pair."}}
    pointers = TemplateFormatter({"e": "$field_errors"}, {"path": "$pointer", "why": "$message"}).format(rendered(errors=errors))
    assert pointers["e"][0] == {"path": "/items/0/qty", "why": "Too small."}
    assert pointers["e"][2] == {"path": "", "why": "Bad pair."}
    # A template without $field_errors still shows them, under details.errors.
    nested = TemplateFormatter({"details": "$details"}).format(rendered(errors=errors[:1], details={"a": 1}))
    assert nested == {"details": {"a": 1, "errors": [{"field": "items.0.qty", "code": "min_value", "message": "Too small."}]}}


@pytest.mark.django_db
def test_drf_standardized_errors_preset(api_client):
    with override_settings(ERROR_REGISTRY={"ENVELOPE": "drf-standardized-errors"}):
        validation = api_client.post("/api/demo/orders/", ORDER, format="json").json()
        unknown = api_client.get("/api/no-such-url/").json()
        crash = api_client.get("/api/demo/crash/").json()
    assert validation["type"] == "validation_error"
    assert validation["errors"][0] == {"code": "invalid", "detail": "Enter a valid email address.", "attr": "email"}
    assert unknown == {"type": "client_error", "errors": [{"code": "not_found", "detail": "The requested resource does not exist.", "attr": None}]}
    assert crash == {"type": "server_error", "errors": [{"code": "internal_error", "detail": "An unexpected error occurred.", "attr": None}]}
    for body in (validation, unknown, crash):
        jsonschema.validate(body, envelope_schema("drf-standardized-errors"))


# -- start-up checks -------------------------------------------------------------------


def test_a_valid_template_passes_the_checks():
    assert error_ids(ENVELOPE={"error": {"code": "$code", "why": "$message|$title", "v": 1}}, FIELD_ERRORS="map") == []


def test_an_unknown_source_fails_the_checks():
    ((check_id, message),) = error_ids(ENVELOPE={"error": {"code": "$code", "span": "$span_id"}})
    assert check_id == "errorregistry.E010" and "$span_id" in message


def test_a_template_that_is_not_json_fails_the_checks():
    ((check_id, _),) = error_ids(ENVELOPE={"error": {"code": "$code", "when": object()}})
    assert check_id == "errorregistry.E011"


@pytest.mark.parametrize("layout", ["list", {"field": "$path"}])
def test_a_bad_field_error_layout_fails_the_checks(layout):
    assert [check_id for check_id, _ in error_ids(FIELD_ERRORS=layout)] == ["errorregistry.E012"]


@pytest.mark.parametrize("names", [{"no_such_builtin": "x"}, {"not_found": ""}, ["not_found"]])
def test_bad_builtin_code_names_fail_the_checks(names):
    assert [check_id for check_id, _ in error_ids(BUILTIN_CODE_NAMES=names)] == ["errorregistry.E013"]


# -- renamed built-in codes, everywhere --------------------------------------------------

RENAMED = {"CATALOG": DEMO, "BUILTIN_CODE_NAMES": {"not_found": "resource_not_found", "validation_error": "VALIDATION_ERROR",
                                                   "internal_error": "INTERNAL", "permission_denied": "forbidden"}}


@pytest.mark.django_db
def test_renamed_builtins_in_responses_sync_catalog_and_reference(api_client):
    with override_settings(ERROR_REGISTRY=RENAMED):
        call_command("errorregistry_sync", verbosity=0)
        registry.invalidate()
        assert ErrorCode.objects.filter(code="resource_not_found", http_status=404).exists()
        assert not ErrorCode.objects.filter(code="not_found").exists()
        # The exception table, the status fallback, the catalog's own 404, an unknown code's fallback.
        assert api_client.post("/api/demo/orders/", ORDER, format="json").json()["error"]["code"] == "VALIDATION_ERROR"
        assert api_client.get("/api/no-such-url/").json()["error"]["code"] == "resource_not_found"
        assert api_client.get("/api/demo/plain/forbidden/").json()["error"]["code"] == "forbidden"
        assert api_client.get("/api/errors/nope/").json()["error"]["code"] == "resource_not_found"
        assert api_client.get("/api/demo/crash/").json()["error"]["code"] == "INTERNAL"
        catalog = {item["code"] for item in api_client.get("/api/errors/").json()}
        page = api_client.get("/api/errors/reference/").content.decode()
    assert {"resource_not_found", "VALIDATION_ERROR", "INTERNAL", "forbidden"} <= catalog
    assert not {"not_found", "validation_error", "internal_error"} & catalog
    assert '<code id="code-resource_not_found">resource_not_found</code>' in page
    assert "<code>not_found</code>" not in page
    assert "&quot;VALIDATION_ERROR&quot;" in page  # the envelope example uses the renamed validation code


@pytest.mark.django_db
def test_renamed_builtins_in_openapi(synced):
    import json

    from drf_spectacular.generators import SchemaGenerator

    with override_settings(ERROR_REGISTRY=RENAMED):
        call_command("errorregistry_sync", verbosity=0)
        schema = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
    orders = schema["paths"]["/api/demo/orders/"]["post"]["responses"]
    assert "VALIDATION_ERROR" in next(iter(orders["400"]["content"].values()))["examples"]
    assert "INTERNAL" in next(iter(orders["500"]["content"].values()))["examples"]
    assert "validation_error" not in json.dumps(orders["400"])


@pytest.mark.django_db
def test_problem_type_is_the_codes_anchor_on_the_reference_page(api_client):
    with override_settings(ERROR_REGISTRY={"ENVELOPE": "problem"}):
        body = api_client.get("/api/no-such-url/").json()
        page = api_client.get(body["type"].split("#")[0]).content.decode()
    assert body["type"] == "/api/errors/reference/#code-not_found"
    assert f'id="{body["type"].split("#")[1]}"' in page


def test_base_formatter_keeps_the_preset_helpers_for_subclasses():
    from errorregistry.formatters import BaseFormatter

    class Wrapped(BaseFormatter):
        def format(self, error):
            return {"fault": self.error_object(error)}

    errors = [{"field": "a", "code": "invalid", "message": "m"}]
    body = Wrapped(key_style="camel").format(rendered(details={"n": 1}, errors=errors))
    assert body == {"fault": {"code": "c", "message": "m", "requestId": "req_1", "details": {"n": 1, "errors": errors}}}


TRACED = {"error": {"code": "$code", "message": "$message", "request_id": "$request_id", "trace_id": "$trace_id"}}


@pytest.mark.django_db
def test_trace_id_is_a_source_filled_from_the_requests_traceparent(api_client):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    with override_settings(ERROR_REGISTRY={"ENVELOPE": TRACED}):
        assert error_ids(ENVELOPE=TRACED) == []
        traced = api_client.get("/api/demo/account/", HTTP_TRACEPARENT=f"00-{trace}-00f067aa0ba902b7-01")
        untraced = api_client.get("/api/demo/account/")
        schema = configured_schema()
    assert traced.json()["error"]["trace_id"] == trace
    assert "trace_id" not in untraced.json()["error"]  # empty members are left out
    jsonschema.validate(traced.json(), schema)
    jsonschema.validate(untraced.json(), schema)
