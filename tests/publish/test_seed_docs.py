"""The reference page, the JSON Schema and the OpenAPI component follow each seed's template."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from tests.envelope.test_envelopes import FlatFormatter
from tests.envelope.test_seeds import ORDER, SEEDS

# (member that holds the request ID in the body, or None; a member name the example must show)
EXPECTED = {
    "000": (None, '"detail"'),
    "001": ("error.trace_id", '"trace_id"'),
    "002": (None, '"VALIDATION_ERROR"'),
    "003": ("error.requestId", '"requestId"'),
    "004": ("error.request_id", '"field": "email"'),
}


def markdown(seed: str) -> str:
    out = StringIO()
    with override_settings(ERROR_REGISTRY={"CATALOG": "project.demo.catalog.DEMO_CODES", **SEEDS[seed]}):
        call_command("errorregistry_docs", "--format", "markdown", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_reference_page_shows_each_seeds_member_names(synced, seed):
    page = markdown(seed)
    request_id_member, shown = EXPECTED[seed]
    example = re.search(r"```json\n(.*?)\n```", page, re.S).group(1)
    assert shown in example
    if request_id_member:
        assert f"include the request ID: `{request_id_member}` in the body" in page
        assert f"| `{request_id_member}` | Unique ID of this request" in page
    else:
        assert "include the request ID sent as the `X-Request-Id` response header" in page
        assert "request_id" not in example and "requestId" not in example


@pytest.mark.django_db
def test_seed_001_example_lays_field_errors_out_as_a_map(synced):
    example = json.loads(re.search(r"```json\n(.*?)\n```", markdown("001"), re.S).group(1))
    assert example["error"]["details"] == {"email": "Enter a valid email address."}
    assert set(example["error"]) == {"code", "message", "trace_id", "details"}


@pytest.mark.django_db
def test_a_custom_formatter_without_a_schema_is_not_described(synced):
    out = StringIO()
    with override_settings(ERROR_REGISTRY={"ENVELOPE": "tests.envelope.test_envelopes.FlatFormatter"}):
        call_command("errorregistry_docs", "--format", "markdown", stdout=out)
    page = out.getvalue()
    assert "cannot describe its members beyond this example" in page
    assert "| Field | Meaning |" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("seed", ["001", "004"])
def test_openapi_component_is_the_seeds_template(api_client, synced, seed):
    with override_settings(ERROR_REGISTRY={"CATALOG": "project.demo.catalog.DEMO_CODES", **SEEDS[seed]}):
        schema = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
        bodies = [api_client.post("/api/demo/orders/", ORDER, format="json").json(),
                  api_client.post("/api/demo/exports/", headers={"X-Token-Scope": "read_write"}).json()]
    validate(schema)
    component = schema["components"]["schemas"]["TemplateEnvelope"]
    validator = OAS30Validator({**component, "components": schema["components"]})
    for body in bodies:
        validator.validate(body)
    # The preset's shapes are not there: the component describes this template only.
    preset_shaped = {
        "001": {"error": {"code": "c", "message": "m", "request_id": "req_1"}},
        "004": {"error": {"code": "c", "message": "m", "request_id": "req_1",
                          "details": [{"field": "a", "code": "invalid", "message": "m"}]}},
    }[seed]
    assert not validator.is_valid(preset_shaped)


# -- ERROR_REGISTRY["REFERENCE"]: the code tables as the seeds lay theirs out -------------------


def reference_markdown(**reference) -> str:
    out = StringIO()
    with override_settings(ERROR_REGISTRY={"CATALOG": "project.demo.catalog.DEMO_CODES", "REFERENCE": reference}):
        call_command("errorregistry_docs", "--format", "markdown", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_default_reference_layout_is_todays(synced):
    page = reference_markdown()
    assert "| Code | Status | Retry? | Message | What to do |" in page
    assert "### Billing (402)" in page


@pytest.mark.django_db
def test_seed_002_layout_one_flat_table_with_its_headings(synced):
    page = reference_markdown(COLUMNS=["status", "code", "message"], HEADINGS={"status": "HTTP", "code": "error.code",
                              "message": "When"}, GROUP_BY=None)
    assert "| HTTP | error.code | When |" in page
    assert "###" not in page.split("## Error codes")[1].split("## Retries")[0]
    assert "Every code the API may return.\n" in page
    rows = [line for line in page.splitlines() if line.startswith("| 4") or line.startswith("| 5")]
    statuses = [int(row.split("|")[1]) for row in rows]
    assert statuses == sorted(statuses) and len(rows) > 10  # one table, by status


@pytest.mark.django_db
def test_seed_004_layout_description_and_action_with_only_some_codes(synced):
    page = reference_markdown(COLUMNS=["code", "status", "message", "action"],
                              HEADINGS={"message": "Description", "action": "Action"},
                              CODES=["missing_api_key", "invalid_api_key", "not_found"], EXAMPLE_CODE="not_found")
    assert "| Code | Status | Description | Action |" in page
    row = next(line for line in page.splitlines() if "`missing_api_key`" in line and line.startswith("| "))
    assert row.endswith("| 401 | Missing API key. | Set Authorization: Bearer \\<key\\> on the request. |"), row
    assert "`insufficient_credits`" not in page and "### Billing" not in page
    assert '"code": "not_found"' in page  # the example envelope


@pytest.mark.django_db
def test_reference_layout_headings_are_translated(synced):
    out = StringIO()
    with override_settings(ERROR_REGISTRY={"REFERENCE": {"COLUMNS": ["code", "category"], "GROUP_BY": None}}):
        call_command("errorregistry_docs", "--format", "markdown", "--language", "fr", stdout=out)
    assert "| Code | Catégorie |" in out.getvalue()
    assert "Tous les codes que l'API peut renvoyer.\n" in out.getvalue()


@pytest.mark.parametrize("reference", [{"COLUMNS": ["code", "colour"]}, {"GROUP_BY": "status"}, {"LAYOUT": 1},
                                       {"HEADINGS": {"code": 3}}, {"CODES": "not_found"}])
def test_a_bad_reference_layout_fails_the_checks(reference):
    from django.core.checks import run_checks

    with override_settings(ERROR_REGISTRY={"REFERENCE": reference}):
        ids = [m.id for m in run_checks(databases=[]) if m.id.startswith("errorregistry.E")]
    assert ids == ["errorregistry.E014"]


class DeclaredFlatFormatter(FlatFormatter):
    """A custom formatter that declares its schema: the docs describe it from that."""

    json_schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"flat_code": {"type": "string", "minLength": 1}, "id": {"type": "string"}},
        "required": ["flat_code", "id"],
        "additionalProperties": False,
    }


@pytest.mark.django_db
def test_a_custom_formatter_that_declares_its_schema_is_described_by_it(api_client, synced):
    from errorregistry.schemas import configured_schema

    settings_ = {"ENVELOPE": "tests.publish.test_seed_docs.DeclaredFlatFormatter"}
    with override_settings(ERROR_REGISTRY=settings_):
        schema = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
        declared = configured_schema()
        out = StringIO()
        call_command("errorregistry_docs", "--format", "markdown", stdout=out)
        body = api_client.get("/api/demo/account/").json()
    assert declared == DeclaredFlatFormatter.json_schema
    component = schema["components"]["schemas"]["DeclaredFlatEnvelope"]
    assert component["additionalProperties"] is False  # from the declaration, not sampled
    OAS30Validator({**component, "components": schema["components"]}).validate(body)
    assert "| Field | Meaning |" in out.getvalue()
