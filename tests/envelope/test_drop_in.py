"""Drop-in fidelity: the handler keeps DRF's and Django's contracts in a real project."""

import json
import logging

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db.utils import InterfaceError, OperationalError
from django.test import Client
from django.urls import reverse
from rest_framework import exceptions, permissions

from errorregistry.handlers import exception_handler
from errorregistry.models import ErrorEvent
from tests.envelope.test_handler import call


def wrapping_handler(exc, context):
    """The pattern DRF documents for custom handlers: call the default, then change ``data``."""
    response = exception_handler(exc, context)
    if response is not None:
        response.data["error"]["hint"] = "added by the project"
    return response


class RaisingMiddleware:
    """A middleware below RequestIdMiddleware that fails on one path: a 500 outside any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/api/demo/health/":
            raise RuntimeError("middleware broke")
        return self.get_response(request)


# DRF's contract


@pytest.mark.django_db
def test_browsable_api_clients_get_the_error_as_drfs_html_page(synced):
    response = Client().get("/api/demo/errors/conflict/", headers={"Accept": "text/html"})
    assert response.status_code == 409
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    assert "<html" in body and "conflict" in body and "The request conflicts with" in body
    assert ErrorEvent.objects.get(request_id=response["X-Request-Id"]).code == "conflict"


@pytest.mark.django_db
def test_json_clients_get_the_envelope_byte_for_byte_as_before(synced):
    response = Client().get("/api/demo/errors/conflict/", headers={"Accept": "application/json"})
    request_id = response["X-Request-Id"]
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content.decode() == (
        '{"error": {"code": "conflict", "message": "The request conflicts with the current state of the resource.", '
        f'"request_id": "{request_id}"}}}}'
    )


@pytest.mark.django_db
def test_problem_preset_keeps_its_media_type_through_drfs_renderer(synced, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "ENVELOPE": "problem"}
    response = Client().get("/api/demo/errors/conflict/", headers={"Accept": "application/json"})
    assert response["Content-Type"] == "application/problem+json; charset=utf-8"
    assert response.content.startswith(b'{"type": "/api/errors/reference/#code-conflict", "title": ')


@pytest.mark.django_db
def test_a_handler_wrapping_ours_changes_the_body_as_drf_documents(synced, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "EXCEPTION_HANDLER": "tests.envelope.test_drop_in.wrapping_handler",
    }
    response = Client().get("/api/demo/errors/conflict/")
    assert response.status_code == 409
    assert response.json()["error"]["hint"] == "added by the project"


# DEBUG and logging


@pytest.mark.django_db
def test_debug_crash_in_a_drf_view_shows_djangos_debug_page_to_a_browser(synced, settings):
    settings.DEBUG = True
    response = Client(raise_request_exception=False).get("/api/demo/crash/", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "Traceback" in response.content.decode() and "RuntimeError" in response.content.decode()
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])  # still audited
    assert event.exception_class == "builtins.RuntimeError" and "Traceback" in event.traceback


@pytest.mark.django_db
def test_debug_crash_for_a_json_client_is_an_envelope_with_the_traceback_on_the_console(synced, settings, caplog):
    settings.DEBUG = True
    response = Client(raise_request_exception=False).get("/api/demo/crash/", headers={"Accept": "application/json"})
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert isinstance(record.exc_info[1], RuntimeError)
    formatted = logging.Formatter().format(record)
    assert "Traceback (most recent call last)" in formatted and "def crash" not in response.content.decode()


@pytest.mark.django_db
def test_production_crash_never_shows_the_debug_page(synced):
    response = Client(raise_request_exception=False).get("/api/demo/crash/", headers={"Accept": "text/html"})
    assert response.status_code == 500
    body = response.content.decode()
    assert "Traceback (most recent call last)" not in body and "hunter2" not in body
    assert "internal_error" in body  # the browsable API's page of the envelope


@pytest.mark.django_db
def test_a_500_raised_by_a_middleware_is_audited_with_its_exception(synced, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.envelope.test_drop_in.RaisingMiddleware"]
    response = Client(raise_request_exception=False).get("/api/demo/health/")
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert event.exception_class == "builtins.RuntimeError"
    assert "middleware broke" in event.traceback


# Database outage


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError("could not connect to server"), InterfaceError("connection already closed")])
def test_a_database_outage_is_a_retryable_503(error, caplog):
    response = call(error)
    assert response.status_code == 503
    body = response.json()["error"]
    assert body["code"] == "service_unavailable" and "could not connect" not in response.content.decode()
    assert response["Retry-After"] == "30"
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)  # still reported


# Resolution by the most specific class


@pytest.mark.django_db
def test_a_catch_all_exception_code_does_not_swallow_drf_exceptions(settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "EXCEPTION_CODES": {"builtins.Exception": "service_unavailable"}}
    response = call(exceptions.Throttled(wait=5))
    assert (response.status_code, response.json()["error"]["code"]) == (429, "rate_limited")
    assert call(exceptions.NotFound()).status_code == 404
    assert call(KeyError("x")).json()["error"]["code"] == "service_unavailable"  # the catch-all still catches


@pytest.mark.django_db
def test_an_override_of_the_same_class_beats_the_default(settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "EXCEPTION_CODES": {"rest_framework.exceptions.NotFound": "gone"}}
    assert call(exceptions.NotFound()).json()["error"]["code"] == "gone"


@pytest.mark.django_db
def test_a_bare_object_does_not_exist_is_a_reported_500_as_in_drf(caplog):
    response = call(ObjectDoesNotExist("Order matching query does not exist."))
    assert (response.status_code, response.json()["error"]["code"]) == (500, "internal_error")
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)


@pytest.mark.django_db
def test_a_project_can_still_map_object_does_not_exist_to_404(settings):
    settings.ERROR_REGISTRY = {
        **settings.ERROR_REGISTRY,
        "EXCEPTION_CODES": {"django.core.exceptions.ObjectDoesNotExist": "not_found"},
    }
    assert call(ObjectDoesNotExist()).status_code == 404


@pytest.mark.django_db
def test_a_gone_status_from_django_under_the_api_prefix_is_described_as_gone(settings):
    response = Client().get("/api/demo/plain/gone/")
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "gone"


# Placeholders without a value


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, expected",
    [("en", "You do not have permission to perform this action."),
     ("fr", "Vous n'avez pas la permission d'effectuer cette action.")],
)
def test_a_placeholder_without_a_value_never_reaches_the_client_raw(synced, caplog, language, expected):
    client = Client()
    for _ in range(2):
        response = client.post("/api/demo/exports/", headers={"Accept-Language": language})
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "insufficient_scope"  # the code stays: clients branch on it
        assert error["message"] == expected and "{required}" not in response.content.decode()
        event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
        assert event.message == expected and event.unfilled_placeholder  # flagged for an admin to fix
    warnings = [r for r in caplog.records if "without a value for {required}" in r.getMessage()]
    assert len(warnings) == 1  # once per code


@pytest.mark.django_db
def test_a_placeholder_with_its_value_is_filled_as_before(synced):
    response = Client().post("/api/demo/exports/", headers={"X-Token-Scope": "read_write"})
    assert response.json()["error"]["message"] == "Not enough credits: 3 left, 10 needed."
    assert not ErrorEvent.objects.get(request_id=response["X-Request-Id"]).unfilled_placeholder


# Languages


class FrenchPreferenceMiddleware:
    """A user-preference middleware after LocaleMiddleware, as real projects have."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation

        translation.activate("fr")
        return self.get_response(request)


@pytest.mark.django_db
def test_the_language_a_project_activates_after_locale_middleware_is_used(synced, settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.middleware.locale.LocaleMiddleware",
        "tests.envelope.test_drop_in.FrenchPreferenceMiddleware",
    ]
    response = Client().post("/api/demo/orders/", {}, content_type="application/json", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["message"] == "Un ou plusieurs champs sont invalides."
    assert body["details"]["errors"][0]["message"] == "Ce champ est obligatoire."  # DRF's, in the same language
    assert response["Content-Language"] == "fr"


@pytest.mark.django_db
def test_content_language_is_spelled_as_django_spells_it(synced, settings):
    settings.LANGUAGE_CODE = "en-US"
    settings.LANGUAGES = [("en-US", "English"), ("fr", "French")]
    response = Client().get("/api/demo/errors/conflict/", headers={"Accept-Language": "en-US"})
    assert response["Content-Language"] == "en-US"


# Diagnostics kept for support


@pytest.mark.django_db
def test_a_csrf_failure_is_told_apart_from_a_missing_permission_in_the_audit(synced):
    from tests.factories import UserFactory

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="csrf_victim"))
    response = client.post("/api/demo/orders/", {}, content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert "CSRF" not in response.content.decode()  # the client gets the registry's text
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert event.diagnostic.startswith("CSRF Failed")


@pytest.mark.django_db
def test_a_parse_errors_position_is_kept_in_the_audit(synced):
    response = Client().post("/api/demo/orders/", '{"email": "a@b.c",, }', content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert "line 1 column 19" in event.diagnostic


@pytest.mark.django_db
def test_support_sees_the_diagnostic_on_the_event_page(synced, admin_client):
    response = Client().post("/api/demo/orders/", "{", content_type="application/json")
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    page = admin_client.get(reverse("admin:errorregistry_support_event", args=[event.pk])).content.decode()
    assert "JSON parse error" in page


class OwnersOnly(permissions.BasePermission):
    message = "Only the team's owners may export."

    def has_permission(self, request, view):
        return False


@pytest.mark.django_db
def test_a_permission_class_message_reaches_the_client_where_the_registry_entry_asks_for_it():
    from tests.factories import ErrorCodeFactory

    attrs = {"permission_classes": [OwnersOnly], "authentication_classes": []}
    assert call(exceptions.PermissionDenied(), **attrs).json()["error"]["message"] == (
        "You do not have permission to perform this action."  # by default the registry's text
    )
    ErrorCodeFactory(code="permission_denied", http_status=403, message="Not allowed: {detail}")
    response = call(exceptions.PermissionDenied(), **attrs)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Not allowed: Only the team's owners may export."
    assert response.error_outcome.message_template == "Not allowed: Only the team's owners may export."  # audited as sent


@pytest.mark.django_db
def test_a_disallowed_host_under_the_api_prefix_is_a_bad_request_not_a_parse_failure(synced, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    response = Client(raise_request_exception=False).get("/api/demo/health/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("bad_request", "The request was rejected as invalid.")


@pytest.mark.django_db
def test_debug_crash_in_a_plain_view_shows_djangos_debug_page_to_a_browser_and_json_otherwise(synced, settings):
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    page = client.get("/api/demo/plain/crash/", headers={"Accept": "text/html"})
    assert page.status_code == 500 and "Traceback" in page.content.decode()
    assert ErrorEvent.objects.get(request_id=page["X-Request-Id"]).exception_class == "builtins.ValueError"
    envelope = client.get("/api/demo/plain/crash/", headers={"Accept": "application/json"})
    assert envelope.json()["error"]["code"] == "internal_error" and "s3cr3t" not in envelope.content.decode()
