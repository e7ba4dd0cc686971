"""The DRF exception handler: every failure becomes the configured envelope."""

import gc
import json
import types

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import Client, override_settings
from rest_framework import exceptions, serializers
from rest_framework.authentication import BasicAuthentication
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from errorregistry import ApiError
from errorregistry.envelope.resolution import ResolvedError
from errorregistry.handler import ExceptionHandler
from errorregistry.models import ErrorCode
from tests.factories import ErrorCodeFactory, TranslationFactory

factory = APIRequestFactory()


def view_raising(exc, **attrs):
    """A DRF view that raises ``exc`` on GET/POST."""

    class RaisingView(APIView):
        authentication_classes = [BasicAuthentication]  # offers a challenge, so 401s stay 401s
        permission_classes = []

        def get(self, request):
            raise exc

        post = get

    for name, value in attrs.items():
        setattr(RaisingView, name, value)
    return RaisingView.as_view()


def call(exc, method="get", headers=None, **attrs):
    request = getattr(factory, method)("/api/thing/", format="json", headers=headers or {})
    response = view_raising(exc, **attrs)(request)
    response.render()  # as Django's handler does with a DRF Response
    response.json = lambda: json.loads(response.content)  # as the test client's responses have
    return response


@pytest.mark.django_db
@pytest.mark.parametrize(
    "exc, code, status",
    [
        (exceptions.ParseError(), "invalid_request", 400),
        (exceptions.ValidationError({"name": ["bad"]}), "validation_error", 400),
        (DjangoValidationError("bad model"), "validation_error", 400),
        (exceptions.NotAuthenticated(), "not_authenticated", 401),
        (exceptions.AuthenticationFailed(), "authentication_failed", 401),
        (exceptions.PermissionDenied(), "permission_denied", 403),
        (DjangoPermissionDenied(), "permission_denied", 403),
        (exceptions.NotFound(), "not_found", 404),
        (Http404(), "not_found", 404),
        (exceptions.MethodNotAllowed("PATCH"), "method_not_allowed", 405),
        (exceptions.NotAcceptable(), "not_acceptable", 406),
        (exceptions.UnsupportedMediaType("text/csv"), "unsupported_media_type", 415),
        (exceptions.Throttled(wait=7), "rate_limited", 429),
        (exceptions.APIException(), "internal_error", 500),
        (type("Teapot", (exceptions.APIException,), {"status_code": 409})(), "conflict", 409),
        (RuntimeError("boom"), "internal_error", 500),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_exception_class_maps_to_its_registry_code(exc, code, status):
    response = call(exc)
    body = response.json()
    assert response.status_code == status
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == response["X-Request-Id"]


@pytest.mark.django_db
def test_api_error_takes_status_message_and_placeholders_from_the_registry():
    response = call(ApiError("insufficient_credits", details={"balance": 3, "required": 10}))
    assert response.status_code == 402
    assert response.json()["error"] == {
        "code": "insufficient_credits",
        "message": "Not enough credits: 3 left, 10 needed.",
        "request_id": response["X-Request-Id"],
        "details": {"balance": 3, "required": 10},
    }


@pytest.mark.django_db
def test_drf_exception_with_a_known_explicit_code_uses_that_entry():
    response = call(exceptions.PermissionDenied(code="insufficient_scope"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


@pytest.mark.django_db
def test_drf_exception_with_an_unknown_explicit_code_uses_the_class_table():
    response = call(exceptions.PermissionDenied(code="made_up_code"))
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_exception_codes_setting_overrides_the_default_table():
    with override_settings(ERROR_REGISTRY={"EXCEPTION_CODES": {"builtins.KeyError": "not_found"}}):
        response = call(KeyError("x"))
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.django_db
def test_status_edited_in_the_registry_changes_the_response_without_a_deploy():
    ErrorCodeFactory(code="validation_error", http_status=400, message="Invalid.")
    assert call(exceptions.ValidationError({"a": ["b"]})).status_code == 400
    ErrorCode.objects.filter(code="validation_error").update(http_status=422)
    ErrorCode.objects.get(code="validation_error").save()  # admin save: signals fire
    assert call(exceptions.ValidationError({"a": ["b"]})).status_code == 422


class ItemSerializer(serializers.Serializer):
    sku = serializers.CharField()
    qty = serializers.IntegerField(min_value=1)


class ConfigSerializer(serializers.Serializer):
    api_key = serializers.CharField(min_length=8)


class ConnectorSerializer(serializers.Serializer):
    config = ConfigSerializer()


class OrderSerializer(serializers.Serializer):
    connector = ConnectorSerializer()
    items = ItemSerializer(many=True)
    tags = serializers.ListField(child=serializers.IntegerField())

    def validate(self, attrs):
        raise serializers.ValidationError("Whole order rejected.", code="order_rejected")


def validation_error_for(data):
    serializer = OrderSerializer(data=data)
    assert not serializer.is_valid()
    return exceptions.ValidationError(serializer.errors)


@pytest.mark.django_db
def test_validation_error_lists_every_nested_field_path_with_its_code():
    exc = validation_error_for(
        {"connector": {"config": {"api_key": "short"}}, "items": [{"sku": "a", "qty": 0}, {"qty": 2}], "tags": [1, "x"]}
    )
    errors = call(exc).json()["error"]["details"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("connector.config.api_key", "min_length"),
        ("items.0.qty", "min_value"),
        ("items.1.sku", "required"),
        ("tags.1", "invalid"),
    }
    assert all(e["message"] for e in errors)


@pytest.mark.django_db
def test_non_field_errors_are_kept_without_a_field():
    serializer = OrderSerializer(data={"connector": {"config": {"api_key": "long-enough"}}, "items": [], "tags": []})
    assert not serializer.is_valid()
    errors = call(exceptions.ValidationError(serializer.errors)).json()["error"]["details"]["errors"]
    assert errors == [{"field": None, "code": "order_rejected", "message": "Whole order rejected."}]


@pytest.mark.django_db
def test_dict_keyed_list_errors_keep_their_index_in_the_path():
    # DRF 3.18 reports list-item errors as {index: errors}.
    exc = exceptions.ValidationError({"items": {0: {"qty": ["Too small."]}, 3: ["Bad item."]}})
    errors = call(exc).json()["error"]["details"]["errors"]
    assert [(e["field"], e["message"]) for e in errors] == [("items.0.qty", "Too small."), ("items.3", "Bad item.")]


@pytest.mark.django_db
def test_django_validation_error_from_model_code_lists_its_fields():
    exc = DjangoValidationError({"email": [DjangoValidationError("Taken.", code="unique")]})
    errors = call(exc).json()["error"]["details"]["errors"]
    assert errors == [{"field": "email", "code": "unique", "message": "Taken."}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept_language, message, content_language",
    [
        ("fr-CA,fr;q=0.9", "La ressource demandée n'existe pas.", "fr"),
        ("fr", "La ressource demandée n'existe pas.", "fr"),
        ("de", "The requested resource does not exist.", "en"),
        ("", "The requested resource does not exist.", "en"),
    ],
)
def test_message_is_in_the_client_language_with_content_language(accept_language, message, content_language):
    response = call(exceptions.NotFound(), headers={"Accept-Language": accept_language})
    assert response.json()["error"]["message"] == message
    assert response["Content-Language"] == content_language


@pytest.mark.django_db
def test_admin_translation_wins_over_the_declared_text():
    code = ErrorCodeFactory(code="not_found", http_status=404, message="Nothing here.")
    TranslationFactory(error_code=code, language="fr", message="Rien ici.")
    response = call(exceptions.NotFound(), headers={"Accept-Language": "fr"})
    assert response.json()["error"]["message"] == "Rien ici."


@pytest.mark.django_db
def test_throttled_sets_retry_after_from_wait():
    response = call(exceptions.Throttled(wait=7.2))
    assert response["Retry-After"] == "8"


@pytest.mark.django_db
def test_code_default_retry_after_is_sent_when_the_exception_has_none():
    ErrorCodeFactory(code="busy", http_status=503, retryable=True, retry_after=30)
    assert call(ApiError("busy"))["Retry-After"] == "30"
    assert "Retry-After" not in call(exceptions.NotFound())


@pytest.mark.django_db
def test_www_authenticate_is_kept_as_drf_sets_it():
    from rest_framework.authentication import BasicAuthentication
    from rest_framework.permissions import IsAuthenticated

    class Protected(APIView):
        authentication_classes = [BasicAuthentication]
        permission_classes = [IsAuthenticated]

        def get(self, request):
            return None

    response = Protected.as_view()(factory.get("/api/protected/"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'


@pytest.mark.django_db(transaction=True)
def test_handler_marks_the_request_transaction_for_rollback(atomic_requests):
    # DRF's set_rollback() only touches connections with ATOMIC_REQUESTS on.
    from django.db import connection

    class Writer(APIView):
        authentication_classes = []
        permission_classes = []

        def post(self, request):
            ErrorCodeFactory(code="written_then_rolled_back")
            raise ApiError("conflict")

    request = factory.post("/api/write/")
    from django.db import transaction

    with transaction.atomic():
        response = Writer.as_view()(request)
        assert connection.needs_rollback
    assert response.status_code == 409
    assert not ErrorCode.objects.filter(code="written_then_rolled_back").exists()


@pytest.mark.django_db
def test_server_error_never_shows_the_exception_text_to_the_client():
    response = call(RuntimeError("password=hunter2 SELECT * FROM secrets"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "hunter2" not in body and "SELECT" not in body and "Traceback" not in body
    assert response.json()["error"]["message"] == "An unexpected error occurred."


@pytest.mark.django_db
def test_server_error_is_logged_as_django_logs_its_500s_with_the_traceback(caplog):
    response = call(RuntimeError("boom in the view"))
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1  # ours, marked logged: Django does not log it a second time
    (record,) = records
    assert record.levelname == "ERROR" and record.getMessage() == "Internal Server Error: /api/thing/"
    assert isinstance(record.exc_info[1], RuntimeError) and "boom in the view" in caplog.text
    assert record.status_code == 500 and response._has_been_logged


@pytest.mark.django_db
def test_log_tracebacks_off_logs_the_class_and_request_id_only(caplog, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "LOG_TRACEBACKS": False}
    response = call(RuntimeError("password=hunter2 SELECT * FROM secrets"))
    assert response.status_code == 500
    assert "hunter2" not in caplog.text and not any(r.exc_info for r in caplog.records)
    assert "RuntimeError" in caplog.text and response["X-Request-Id"] in caplog.text


@pytest.mark.django_db
def test_server_error_still_fires_got_request_exception():
    from django.core.signals import got_request_exception

    seen = []

    def receiver(sender, request, **kwargs):
        seen.append(request.path)

    got_request_exception.connect(receiver)
    try:
        call(ValueError("x"))
    finally:
        got_request_exception.disconnect(receiver)
    assert seen == ["/api/thing/"]


@pytest.mark.django_db
def test_unknown_code_gets_a_valid_envelope_and_one_warning(caplog):
    first = call(ApiError("never_declared"))
    second = call(ApiError("never_declared"))
    assert first.status_code == 500
    assert first.json()["error"]["code"] == "never_declared"
    assert second.json()["error"]["message"] == "An unexpected error occurred."
    assert caplog.text.count("'never_declared' was raised but is not in the registry") == 1


@pytest.mark.django_db
def test_client_errors_do_not_fire_got_request_exception():
    from django.core.signals import got_request_exception

    seen = []
    receiver = lambda sender, request, **kwargs: seen.append(request.path)  # noqa: E731
    got_request_exception.connect(receiver)
    try:
        for exc in (DjangoValidationError("bad"), exceptions.NotFound(), ApiError("conflict")):
            call(exc)
    finally:
        got_request_exception.disconnect(receiver)
    assert seen == []


@pytest.mark.django_db
def test_api_exception_with_an_unlisted_status_keeps_its_status():
    teapot = type("Teapot", (exceptions.APIException,), {"status_code": 418})()
    response = call(teapot)
    assert (response.status_code, response.json()["error"]["code"]) == (418, "bad_request")
    assert response.json()["error"]["message"] == "The request was rejected as invalid."


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status, code, english, french",
    [
        (410, "gone", "The requested resource is no longer available.", "La ressource demandée n'est plus disponible."),
        (412, "precondition_failed", "A precondition in the request headers was not met.",
         "Une précondition des en-têtes de la requête n'est pas remplie."),
        (413, "request_too_large", "The request body is too large.", "Le corps de la requête est trop volumineux."),
        (400, "bad_request", "The request was rejected as invalid.", "La requête a été rejetée comme invalide."),
    ],
)
def test_standard_statuses_have_their_own_code_in_english_and_french(status, code, english, french):
    exc = type("Custom", (exceptions.APIException,), {"status_code": status})()
    response = call(exc)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert response.json()["error"]["message"] == english
    response = call(exc, headers={"Accept-Language": "fr"})
    assert response.json()["error"]["message"] == french


@pytest.mark.django_db
def test_error_responses_are_never_stored_by_shared_caches():
    response = call(exceptions.NotFound())
    assert response["Cache-Control"] == "private, no-store"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.django_db
def test_vary_names_the_views_accept_and_the_envelopes_language_once_each(api_client):
    # The demo's views have DRF's two default renderers: DRF adds Vary: Accept, the envelope Accept-Language.
    response = api_client.get("/api/demo/account/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 401
    names = [name.strip() for name in response["Vary"].split(",")]
    assert names.count("Accept") == names.count("Accept-Language") == 1


@pytest.mark.parametrize(
    "before, after",
    [(None, "Accept-Language"), ("Accept", "Accept, Accept-Language"), ("Cookie, accept-language", "Cookie, accept-language"),
     ("*", "*"), ("Origin , Accept", "Origin , Accept, Accept-Language")],
)
def test_the_language_is_merged_into_the_vary_a_project_set(before, after):
    from django.http import HttpResponse

    from errorregistry.envelope.response import vary_on_language

    response = HttpResponse()
    if before:
        response["Vary"] = before
    vary_on_language(response)
    assert response["Vary"] == after


@pytest.mark.django_db
def test_a_deliberate_service_unavailable_is_not_reported_as_a_crash(caplog):
    from django.core.signals import got_request_exception

    seen = []
    receiver = lambda sender, request, **kwargs: seen.append(request.path)  # noqa: E731
    got_request_exception.connect(receiver)
    try:
        response = call(ApiError("service_unavailable"))
    finally:
        got_request_exception.disconnect(receiver)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert seen == [] and "Internal error" not in caplog.text


@pytest.mark.django_db
def test_not_authenticated_without_a_challenge_is_a_403_as_drf_sends_it():
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.permissions import IsAuthenticated

    class SessionOnly(APIView):
        authentication_classes = [SessionAuthentication]
        permission_classes = [IsAuthenticated]

        def get(self, request):
            return None

    response = SessionOnly.as_view()(factory.get("/api/session-only/")).render()
    response.json = lambda: json.loads(response.content)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "not_authenticated")
    assert "WWW-Authenticate" not in response


@pytest.mark.django_db
def test_demo_account_answers_401_with_a_challenge(api_client):
    response = api_client.get("/api/demo/account/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'


class TeapotHandler(ExceptionHandler):
    """A project's handler: one step overridden, the others inherited."""

    def resolve(self, exc):
        if isinstance(exc, LookupError):
            return ResolvedError(code="conflict", details={"missing": str(exc)}, exception=exc)
        return super().resolve(exc)


def teapot_exception_handler(exc, context):
    return TeapotHandler(exc, context).run()


@pytest.mark.django_db
@override_settings(REST_FRAMEWORK={"EXCEPTION_HANDLER": "tests.envelope.test_handler.teapot_exception_handler"})
def test_a_subclass_overrides_one_step_and_keeps_the_others():
    overridden = call(KeyError("sku-1"))
    inherited = call(exceptions.NotFound())

    assert (overridden.status_code, overridden.json()["error"]["code"]) == (409, "conflict")
    assert overridden.json()["error"]["details"] == {"missing": "'sku-1'"}
    assert overridden.error_outcome.code == "conflict"  # the outcome travels with the response
    assert (inherited.status_code, inherited.json()["error"]["code"]) == (404, "not_found")


def _frames_named(name):
    return [o for o in gc.get_objects() if isinstance(o, types.FrameType) and o.f_code.co_name == name]


@pytest.mark.django_db
def test_a_client_error_keeps_no_stack_alive_after_the_response(client):
    """DRF keeps the response in a reference cycle with the view (its renderer context): an outcome
    holding the live exception kept its traceback, and with it every frame of the request's stack,
    until the garbage collector ran. A client error keeps what the audit reads instead."""
    client.get("/api/demo/account/")  # once first: what a process sets up on first use may keep a frame
    gc.collect()
    gc.disable()
    try:
        # Frames another test still holds on purpose (a kept traceback) are not this request's.
        before = {id(frame) for frame in _frames_named("permission_denied")}
        response = client.get("/api/demo/account/")
        left = [frame for frame in _frames_named("permission_denied") if id(frame) not in before]
    finally:
        gc.enable()
    assert response.status_code == 401
    assert not left
    outcome = response.error_outcome
    assert outcome.exception is None
    assert outcome.exception_class == "rest_framework.exceptions.NotAuthenticated"
    assert outcome.diagnostic == "Authentication credentials were not provided."


@pytest.mark.django_db
def test_a_crash_keeps_its_exception_for_the_traceback():
    client = Client(raise_request_exception=False)
    response = client.get("/api/demo/crash/")
    assert response.status_code == 500
    assert isinstance(response.error_outcome.exception, RuntimeError)
    assert response.error_outcome.exception_class == "builtins.RuntimeError"
    assert response.error_outcome.diagnostic == ""  # a crash's own text never reaches the audit's diagnostic


@pytest.mark.django_db
def test_a_custom_formatter_reads_the_codes_reference_anchor_as_its_type():
    """``type`` is looked up only when read (the default envelope never shows it), but a custom
    formatter that reads it still gets the code's row on the reference page, or its docs link."""
    from errorregistry.envelope.formatters import RenderedError
    from errorregistry.registry.store import registry

    plain = RenderedError.from_entry(registry.get("not_found"), message="m", action="", request_id="req_1")
    assert plain.type == "/api/errors/reference/#code-not_found"
    ErrorCodeFactory(code="documented", docs_url="https://docs.example.com/errors/documented")
    documented = RenderedError.from_entry(registry.get("documented"), message="m", action="", request_id="req_2")
    assert documented.type == "https://docs.example.com/errors/documented"
    assert RenderedError(code="x", status=400, message="m", request_id="r").type == "about:blank"


@override_settings(ROOT_URLCONF="tests.i18n_urls")
def test_the_reference_anchor_follows_the_active_language_under_i18n_patterns():
    from django.utils import translation

    from errorregistry.envelope.anchor import reference_anchor

    for language in ("en", "fr", "en"):
        with translation.override(language):
            assert reference_anchor("not_found") == f"/{language}/api/errors/reference/#code-not_found"


class UnreadableNotFound(Http404):
    """A project's 404 whose text cannot be read."""

    def __str__(self):
        raise AttributeError("no text")


@pytest.mark.django_db
def test_an_exception_whose_text_cannot_be_read_still_gets_its_envelope():
    response = call(UnreadableNotFound())
    assert response.status_code == 404
    body = json.loads(response.rendered_content)
    assert body["error"]["code"] == "not_found"
    assert response.error_outcome.diagnostic == ""
