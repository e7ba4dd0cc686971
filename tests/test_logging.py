"""Logs: the documented JSON logging config, and the audit writer's lines carrying the IDs of their event."""

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

import errorregistry
from errorregistry.log import RequestIdFilter
from tests.test_faults import configured, unreachable_alias

ROOT = Path(__file__).resolve().parent.parent
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def documented_logging_config() -> str:
    page = (ROOT / "docs" / "correlation.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", page, re.S) if b.startswith("LOGGING = {")]
    return block


SCRIPT = r"""
import logging.config, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
namespace = {}
exec(sys.argv[1], namespace)
logging.config.dictConfig(namespace["LOGGING"])
from django.test import Client
response = Client(raise_request_exception=False).get("/api/demo/crash/", HTTP_TRACEPARENT=sys.argv[2])
logging.getLogger("outside").warning("no request here")
print(response["X-Request-Id"])
"""


def test_the_documented_json_logging_config_writes_the_ids_on_every_line():
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, documented_logging_config(), TRACEPARENT],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    request_id = result.stdout.strip().splitlines()[-1]
    lines = [json.loads(line) for line in result.stderr.strip().splitlines()]  # every line is one JSON object
    during = [line for line in lines if line["logger"] in ("errorregistry", "django.request")]
    # The crash is logged once, on django.request, as Django logs its own 500s (LOG_TRACEBACKS).
    assert {line["logger"] for line in during} == {"django.request"}
    for line in during:
        assert (line["level"], line["request_id"], line["trace_id"]) == ("ERROR", request_id, TRACE_ID)
    (outside,) = [line for line in lines if line["logger"] == "outside"]
    assert (outside["message"], outside["request_id"], outside["trace_id"]) == ("no request here", "-", "-")


@pytest.mark.django_db(transaction=True)
def test_the_audit_writers_lines_about_an_event_carry_its_request_and_trace_ids(caplog):
    with unreachable_alias() as alias, override_settings(
        ERROR_REGISTRY=configured(AUDIT_MODE="background", AUDIT_DATABASE=alias)
    ), caplog.at_level(logging.INFO, logger="errorregistry.audit"):
        response = Client().get("/api/demo/account/", HTTP_TRACEPARENT=TRACEPARENT)
        assert errorregistry.flush_audit(10)

    (record,) = [r for r in caplog.records if r.name == "errorregistry.audit"]
    assert json.loads(record.getMessage())["request_id"] == response["X-Request-Id"]
    RequestIdFilter().filter(record)  # what a handler with the filter does: the record's own IDs stay
    assert (record.request_id, record.trace_id) == (response["X-Request-Id"], TRACE_ID)
