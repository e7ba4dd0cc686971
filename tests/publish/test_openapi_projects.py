"""`spectacular --validate --fail-on-warn` in the demo, in a project set up exactly as the README
says, and in a bare project that only includes errorregistry.urls."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from openapi_spec_validator import validate

REPO = Path(__file__).resolve().parents[2]


def run_project(settings_module: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "README_PROJECT_DB": str(tmp_path / "db.sqlite3")}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "django", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def project_schema(settings_module: str, tmp_path: Path) -> dict:
    migrated = run_project(settings_module, tmp_path, "migrate", "--noinput", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    out = tmp_path / "schema.json"
    generated = run_project(
        settings_module, tmp_path, "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
        "--file", str(out),
    )
    assert generated.returncode == 0, generated.stderr
    assert "Warning" not in generated.stderr and "Error" not in generated.stderr, generated.stderr
    schema = json.loads(out.read_text())
    validate(schema)  # openapi-spec-validator, stricter than spectacular's own --validate
    return schema


def test_a_project_configured_as_the_readme_says_gets_a_valid_warning_free_schema(tmp_path):
    schema = project_schema("tests.readme_project.settings", tmp_path)
    assert "ErrorEnvelope" in schema["components"]["schemas"]
    responses = schema["paths"]["/api/exports/"]["post"]["responses"]
    assert set(responses["402"]["content"]["application/json"]["examples"]) == {"insufficient_credits"}
    assert {"400", "406", "415", "500"} <= set(responses)
    assert schema["paths"]["/api/errors/"]["get"]["operationId"] == "errorregistry_catalog_list"


def test_a_bare_project_including_errorregistry_urls_gets_a_valid_warning_free_schema(tmp_path):
    schema = project_schema("tests.readme_project.settings_bare", tmp_path)
    operation_ids = sorted(op["operationId"] for ops in schema["paths"].values() for op in ops.values())
    assert operation_ids == ["errorregistry_catalog_list", "errorregistry_catalog_retrieve"]
    assert set(schema["paths"]["/api/errors/"]["get"]["responses"]) == {"200", "304"}
    assert "ErrorCatalogEntry" in schema["components"]["schemas"]


@pytest.mark.django_db
def test_the_demo_schema_passes_spectacular_validate_and_fail_on_warn(synced, tmp_path):
    GENERATOR_STATS.reset()  # warnings of earlier in-process generations must not count here
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.stat().st_size > 0
