"""The audit trail: one INSERT per error response, surviving rollbacks and never hurting the response."""

import json
import logging
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.db import OperationalError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from errorregistry.models import ErrorCode, ErrorCount, ErrorEvent
from errorregistry.registry.store import registry
from tests.factories import ErrorCodeFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_an_error_response_costs_one_insert_and_one_count_upsert_in_one_transaction(api_client):
    registry.get("not_authenticated")  # warm
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get("/api/demo/account/")
    assert response.status_code == 401
    statements = [q["sql"] for q in captured.captured_queries]
    work = [sql for sql in statements if not sql.upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    assert len(work) == 2
    assert work[0].startswith("INSERT INTO") and "errorregistry_errorevent" in work[0]
    assert "errorregistry_errorcount" in work[1] and "ON CONFLICT" in work[1]
    assert ErrorCount.objects.get(code="not_authenticated").count == 1


@pytest.mark.django_db(transaction=True)
def test_a_successful_request_writes_nothing(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert api_client.get("/api/demo/health/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_event_survives_the_request_rollback_under_atomic_requests(api_client, atomic_requests):
    response = api_client.post("/api/demo/teams/", {"name": "blue"}, format="json")
    assert response.status_code == 402
    assert not Group.objects.filter(name__startswith="blue").exists()  # the view's write was rolled back
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert (event.code, event.http_status) == ("insufficient_credits", 402)


@pytest.mark.django_db
def test_event_records_what_the_client_saw_and_who_asked(api_client):
    user = UserFactory(username="ada")
    api_client.force_login(user)
    response = api_client.post(
        "/api/demo/exports/?page=2",
        headers={"X-Token-Scope": "read_write", "Accept-Language": "fr", "User-Agent": "curl/8", "X-Workspace": "ws_42"},
    )
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert event.code == "insufficient_credits" and event.http_status == 402
    assert event.message == response.json()["error"]["message"] and event.language == "fr"
    assert (event.method, event.path, event.query_string) == ("POST", "/api/demo/exports/", "page=2")
    assert event.view_name == "exports"
    assert (event.user_id, event.user_name) == (str(user.pk), "ada")
    assert event.context == {"workspace": "ws_42"}
    assert event.client_ip == "127.0.0.1" and event.user_agent == "curl/8"
    assert event.details == {"balance": 3, "required": 10}
    assert event.exception_class == "errorregistry.exceptions.ApiError"
    assert event.traceback == ""


@pytest.mark.django_db
def test_server_errors_keep_the_traceback_for_support(api_client):
    response = api_client.get("/api/demo/crash/")
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert event.http_status == 500 and event.exception_class == "builtins.RuntimeError"
    assert "Traceback" in event.traceback and "raise RuntimeError" in event.traceback


@pytest.mark.django_db
def test_non_drf_failures_under_the_prefix_are_audited(api_client):
    response = api_client.get("/api/demo/no-such-page/")
    assert ErrorEvent.objects.get(request_id=response["X-Request-Id"]).code == "not_found"


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"AUDIT_CLIENT_IP": False})
def test_client_ip_can_be_turned_off(api_client):
    response = api_client.get("/api/demo/account/")
    assert ErrorEvent.objects.get(request_id=response["X-Request-Id"]).client_ip is None


@pytest.mark.django_db
def test_failing_audit_write_leaves_the_response_unchanged_and_logs_one_json_line(api_client, caplog):
    normal = api_client.get("/api/demo/account/")
    with mock.patch("errorregistry.audit.writer.insert_rows", side_effect=OperationalError("database is locked")):
        with caplog.at_level(logging.ERROR, logger="errorregistry.audit"):
            failed = api_client.get("/api/demo/account/")
    strip = lambda r: r.content.decode().replace(r["X-Request-Id"], "ID")  # noqa: E731
    assert (failed.status_code, strip(failed)) == (normal.status_code, strip(normal))
    lines = [r.getMessage() for r in caplog.records if r.name == "errorregistry.audit"]
    assert len(lines) == 1
    logged = json.loads(lines[0])
    assert logged["request_id"] == failed["X-Request-Id"] and logged["code"] == "not_authenticated"
    assert not ErrorEvent.objects.filter(request_id=failed["X-Request-Id"]).exists()
    # and writing resumes once the database is back
    again = api_client.get("/api/demo/account/")
    assert ErrorEvent.objects.filter(request_id=again["X-Request-Id"]).exists()


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"REDACT_KEYS": ["ssn"], "CATALOG": "project.demo.catalog.DEMO_CODES"})
def test_secrets_are_redacted_at_any_depth_in_details_query_and_context(api_client):
    from errorregistry import ApiError
    from errorregistry.audit import record
    from errorregistry.envelope.response import render_error
    from errorregistry.envelope.resolution import resolve_exception
    from django.test import RequestFactory

    request = RequestFactory().get("/api/x/?token=abc&page=1&Api-Key=k", HTTP_X_WORKSPACE="ws")
    details = {"outer": {"api_key": "k1", "items": [{"password": "p1", "ok": 1}], "ssn": "123"}, "Authorization": "Bearer t"}
    response = render_error(request, resolve_exception(ApiError("conflict", details=details)))
    with override_settings(ERROR_REGISTRY={"REDACT_KEYS": ["ssn"], "AUDIT_CONTEXT": lambda r: {"session_id": "s", "deep": {"cookie": "c"}}}):
        assert record(request, response.error_outcome)
    event = ErrorEvent.objects.get(request_id=request.request_id)
    assert event.details == {
        "outer": {"api_key": "[redacted]", "items": [{"password": "[redacted]", "ok": 1}], "ssn": "[redacted]"},
        "Authorization": "[redacted]",
    }
    assert event.query_string == "token=%5Bredacted%5D&page=1&Api-Key=%5Bredacted%5D"
    assert event.context == {"session_id": "[redacted]", "deep": {"cookie": "[redacted]"}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "policy, rate, recorded",
    [("always", 1.0, True), ("never", 1.0, False), ("sampled", 0.0, False), ("sampled", 1.0, True)],
)
def test_per_code_audit_policy(api_client, policy, rate, recorded):
    ErrorCodeFactory(code="not_authenticated", http_status=401, audit_policy=policy, audit_sample_rate=rate)
    response = api_client.get("/api/demo/account/")
    assert ErrorEvent.objects.filter(request_id=response["X-Request-Id"]).exists() is recorded


@pytest.mark.django_db
def test_sampled_policy_records_about_its_rate(api_client):
    ErrorCodeFactory(code="not_authenticated", http_status=401, audit_policy="sampled", audit_sample_rate=0.5)
    with mock.patch("errorregistry.audit.events.random.random", side_effect=[0.1, 0.9, 0.2, 0.7]):
        for _ in range(4):
            api_client.get("/api/demo/account/")
    assert ErrorEvent.objects.count() == 2


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"AUDIT": False})
def test_audit_can_be_turned_off_globally(api_client):
    api_client.get("/api/demo/account/")
    assert ErrorEvent.objects.count() == 0


@pytest.mark.django_db
def test_event_for_a_deleted_code_keeps_its_history(api_client):
    ErrorCodeFactory(code="short_lived", http_status=409)
    response = api_client.get("/api/demo/errors/short_lived/")
    ErrorCode.objects.filter(code="short_lived").delete()
    assert ErrorEvent.objects.get(request_id=response["X-Request-Id"]).code == "short_lived"


@pytest.mark.django_db
def test_a_placeholder_cannot_smuggle_a_secret_into_the_stored_message(api_client):
    from django.test import RequestFactory

    from errorregistry import ApiError
    from errorregistry.audit import record
    from errorregistry.envelope.response import render_error
    from errorregistry.envelope.resolution import resolve_exception

    ErrorCodeFactory(code="key_expired", http_status=401, message="Key {api_key} expired for {account}.")
    request = RequestFactory().get("/api/x/")
    response = render_error(request, resolve_exception(ApiError("key_expired", details={"api_key": "sk_live_X", "account": "acme"})))
    assert json.loads(response.render().content)["error"]["message"] == "Key sk_live_X expired for acme."  # the caller chose to send it
    assert record(request, response.error_outcome)
    event = ErrorEvent.objects.get(request_id=request.request_id)
    assert event.message == "Key [redacted] expired for acme."
    assert "sk_live_X" not in json.dumps(event.details)


@pytest.mark.django_db
def test_lazy_texts_and_rich_detail_values_are_stored(settings):
    import datetime
    import decimal
    import uuid

    from django.test import RequestFactory
    from django.utils.translation import gettext_lazy

    from errorregistry import ApiError
    from errorregistry.audit import record
    from errorregistry.registry.declarations import Declaration
    from errorregistry.envelope.response import render_error
    from errorregistry.envelope.resolution import resolve_exception

    settings.ERROR_REGISTRY = {"CATALOG": lambda: [Declaration("lazy_code", 409, "conflict", gettext_lazy("Busy."))]}
    details = {"amount": decimal.Decimal("9.99"), "at": datetime.date(2026, 1, 2), "id": uuid.UUID(int=1)}
    request = RequestFactory().get("/api/x/")
    response = render_error(request, resolve_exception(ApiError("lazy_code", details=details)))
    assert response.status_code == 409
    assert record(request, response.error_outcome)
    event = ErrorEvent.objects.get(request_id=request.request_id)
    assert event.message == "Busy."
    assert event.details == {"amount": "9.99", "at": "2026-01-02", "id": "00000000-0000-0000-0000-000000000001"}
