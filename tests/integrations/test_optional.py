"""Each integration's library is optional: with opentelemetry, sentry_sdk, celery and corsheaders
unimportable, the app starts, passes its checks, and a traced failing request is enveloped and audited."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys
for name in ("opentelemetry", "sentry_sdk", "celery", "corsheaders"):
    sys.modules[name] = None  # "import name" now raises ImportError, as if it were not installed
import json, os
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("check")
from django.test import Client
from errorregistry.integrations import otel, sentry
from errorregistry.models import ErrorEvent
client = Client(raise_request_exception=False)
crash = client.get("/api/demo/crash/", HTTP_TRACEPARENT="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
plain = client.get("/api/demo/plain/crash/")
ok = client.get("/api/demo/health/", HTTP_ORIGIN="https://app.example.com")
event = ErrorEvent.objects.get(request_id=crash["X-Request-Id"])
print(json.dumps({
    "blocked": [name for name in ("opentelemetry", "sentry_sdk", "celery") if sys.modules.get(name) is not None],
    "otel": otel.otel_trace is not None,
    "sentry": sentry.sentry_sdk is not None,
    "statuses": [crash.status_code, plain.status_code, ok.status_code],
    "code": crash.json()["error"]["code"],
    "trace_id": event.trace_id,
    "exposed": ok["Access-Control-Expose-Headers"],
    "events": ErrorEvent.objects.count(),
}))
"""


def test_the_app_works_without_any_optional_integration_library():
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {
        "blocked": [],
        "otel": False,
        "sentry": False,
        "statuses": [500, 500, 200],
        "code": "internal_error",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "exposed": "X-Request-Id",
        "events": 2,
    }
