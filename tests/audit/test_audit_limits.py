"""What one audit event may hold: bounded sizes, and secrets that never reach it."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.urls import include, path
from rest_framework.decorators import api_view

from errorregistry.audit.events import MAX_DETAILS_BYTES, MAX_TRACEBACK_CHARS
from errorregistry.audit.redaction import redact
from errorregistry.models import ErrorEvent


@api_view(["GET"])
def crash_loudly(request):
    raise RuntimeError("x" * 200_000 + " the end of the message")


urlpatterns = [
    path("api/limits/crash/", crash_loudly),
    path("", include(django_settings.ROOT_URLCONF)),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_a_huge_validation_error_reaches_the_client_whole_and_the_audit_capped(api_client, synced):
    items = [{"sku": "A", "qty": 0} for _ in range(5_000)]
    response = api_client.post("/api/demo/orders/", {"email": "x@example.com", "items": items}, format="json")
    assert response.status_code == 400
    sent = response.json()["error"]["details"]["errors"]
    assert len(sent) >= 5_000  # the response is never truncated

    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    stored = event.details["errors"]
    assert len(json.dumps(event.details, ensure_ascii=False).encode()) <= MAX_DETAILS_BYTES
    assert 0 < len(stored) < len(sent)
    assert event.details["errors_truncated"] == len(sent) - len(stored)
    assert stored == sent[: len(stored)]  # the head of the list, as sent


def test_a_huge_traceback_keeps_its_end_with_a_marker(api_client, synced):
    response = api_client.get("/api/limits/crash/")
    assert response.status_code == 500
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert event.traceback.startswith("[truncated: the first ")
    assert len(event.traceback) <= MAX_TRACEBACK_CHARS + 100
    assert event.traceback.rstrip().endswith("the end of the message")


def test_query_strings_are_redacted_across_both_separators(api_client, synced):
    response = api_client.get("/api/demo/account/?page=1;token=abc;jwt=e.y.j&shipping=fast&sig=00ff")
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert event.query_string == "page=1;token=%5Bredacted%5D;jwt=%5Bredacted%5D&shipping=fast&sig=%5Bredacted%5D"


@pytest.mark.parametrize(
    "key",
    ["x-api-key", "pin", "pinCode", "new_pwd", "otp", "jwt", "authToken", "oauth", "request_sig", "passphrase",
     "SessionId", "Authorization", "user_password", "webhookSignature"],
)
def test_secret_names_are_redacted(key):
    assert redact({key: "s3cr3t"}) == {key: "[redacted]"}


@pytest.mark.parametrize("key", ["shipping", "spinner", "author", "design", "option", "keyboard_layout", "page"])
def test_ordinary_names_that_contain_a_short_fragment_are_kept(key):
    assert redact({key: "visible"}) == {key: "visible"}
