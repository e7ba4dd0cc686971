"""RequestIdMiddleware: IDs on every response, and envelopes for non-DRF failures under the API prefixes."""

import logging

import pytest
from asgiref.sync import async_to_sync
from django.http import FileResponse, HttpRequest
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from errorregistry.log import RequestIdFilter
from errorregistry.request_id import is_minted_request_id


@pytest.mark.django_db
def test_every_response_carries_a_minted_request_id(api_client):
    ok = api_client.get("/api/demo/health/")
    failed = api_client.get("/api/demo/account/")
    assert is_minted_request_id(ok["X-Request-Id"])
    assert failed.json()["error"]["request_id"] == failed["X-Request-Id"]
    assert ok["X-Request-Id"] != failed["X-Request-Id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, code, status",
    [
        ("/api/no-such-endpoint/", "not_found", 404),
        ("/api/demo/plain/missing/", "not_found", 404),
        ("/api/demo/plain/forbidden/", "permission_denied", 403),
        ("/api/demo/plain/crash/", "internal_error", 500),
    ],
)
def test_non_drf_failures_under_the_prefix_get_the_envelope(api_client, path, code, status):
    response = api_client.get(path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["error"]["code"] == code
    assert "secret" not in response.content.decode()


@pytest.mark.django_db
def test_csrf_failure_under_the_prefix_gets_the_envelope():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/demo/plain/ok/", {"a": "b"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_body_over_the_size_limit_under_the_prefix_gets_the_envelope(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api_client.post("/api/demo/orders/", "x" * 1000, content_type="application/json")
    assert response["Content-Type"].startswith("application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (413, "request_too_large")


@pytest.mark.django_db
def test_paths_outside_the_prefix_keep_django_html_pages(api_client):
    response = api_client.get("/not-api/nothing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Request-Id"].startswith("req_")


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"API_PREFIXES": ["/v2/"]})
def test_api_prefixes_setting_moves_the_envelope(api_client):
    assert api_client.get("/v2/missing/").json()["error"]["code"] == "not_found"
    assert api_client.get("/api/missing/")["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_method_not_allowed_keeps_the_allow_header(api_client):
    response = api_client.delete("/api/demo/orders/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]




@pytest.mark.django_db(transaction=True)
def test_async_client_gets_the_envelope_and_audit():
    from errorregistry.models import ErrorEvent

    client = AsyncClient(raise_request_exception=False)
    drf = async_to_sync(client.get)("/api/demo/account/")
    async_view = async_to_sync(client.get)("/api/demo/async/missing/")
    crashed = async_to_sync(client.get)("/api/demo/async/crash/")
    assert drf.status_code == 401
    assert drf.json()["error"]["request_id"] == drf["X-Request-Id"]
    assert (async_view.status_code, async_view.json()["error"]["code"]) == (404, "not_found")
    assert (crashed.status_code, crashed.json()["error"]["code"]) == (500, "internal_error")
    for response in (drf, async_view, crashed):
        assert ErrorEvent.objects.filter(request_id=response["X-Request-Id"]).exists()
    # The middleware saw what the async view raised, not only the 500 page Django made of it.
    crash_event = ErrorEvent.objects.get(request_id=crashed["X-Request-Id"])
    assert crash_event.exception_class == "builtins.ValueError"
    assert "async view crashed" in crash_event.traceback


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("client_class", [Client, AsyncClient], ids=["sync", "async"])
def test_public_cacheable_success_gets_no_request_id_header_in_either_mode(client_class):
    """A shared cache would replay one request's ID to every client; private responses keep theirs."""
    client = client_class(raise_request_exception=False)
    get = client.get if client_class is Client else async_to_sync(client.get)
    public = get("/api/errors/")
    private = get("/api/demo/health/")
    assert "public" in public["Cache-Control"] and "X-Request-Id" not in public
    assert private["X-Request-Id"].startswith("req_")


class CapturingHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.request_ids = []

    def emit(self, record):
        self.request_ids.append(record.request_id)


@pytest.mark.django_db
def test_async_view_logs_carry_the_request_id():
    handler = CapturingHandler()
    logger = logging.getLogger("project.demo")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = async_to_sync(AsyncClient(raise_request_exception=False).get)("/api/demo/async/log/")
    finally:
        logger.removeHandler(handler)
    assert handler.request_ids == [response["X-Request-Id"]]


def test_logging_filter_stamps_the_current_request_id():
    from errorregistry.request_id import current_request_id

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
    token = current_request_id.set("req_TEST")
    try:
        RequestIdFilter().filter(record)
    finally:
        current_request_id.reset(token)
    assert record.request_id == "req_TEST"


@pytest.mark.django_db
def test_locale_middleware_language_is_used_when_it_runs(api_client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.locale.LocaleMiddleware"]
    response = api_client.get("/api/demo/account/", headers={"Accept-Language": "fr-CA"})
    assert response["Content-Language"] == "fr"
    assert response.json()["error"]["message"].startswith("Les informations")


@pytest.mark.django_db
def test_enveloped_failures_keep_security_headers_and_cookies_from_lower_middleware(api_client, settings):
    settings.SECURE_CONTENT_TYPE_NOSNIFF = True
    settings.SECURE_REFERRER_POLICY = "same-origin"
    response = api_client.get("/api/no-such-endpoint/")
    assert response.json()["error"]["code"] == "not_found"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_enveloped_failure_keeps_a_cookie_set_by_the_view(api_client):
    response = api_client.get("/api/demo/plain/cookie/")
    assert response.json()["error"]["code"] == "not_found"
    assert response.cookies["demo"].value == "kept"


@pytest.mark.django_db
def test_prefix_is_matched_on_path_info_under_a_script_name(api_client):
    response = api_client.get("/api/no-such-endpoint/", SCRIPT_NAME="/svc")
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_django_request_log_lines_carry_the_request_id(api_client):
    handler = CapturingHandler()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = api_client.get("/api/demo/account/")
    finally:
        logger.removeHandler(handler)
    assert handler.request_ids == [response["X-Request-Id"]]


@pytest.mark.django_db
def test_a_non_drf_server_error_is_logged_once(api_client):
    handler = CapturingHandler()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        api_client.get("/api/demo/plain/crash/")
    finally:
        logger.removeHandler(handler)
    assert len(handler.request_ids) == 1


@pytest.mark.django_db
def test_enveloped_failure_drops_headers_that_described_the_old_body(api_client):
    response = api_client.get("/api/demo/plain/download/")
    assert response.json()["error"]["code"] == "not_found"
    for header in ("Content-Disposition", "Content-Encoding", "ETag", "Last-Modified"):
        assert header not in response
    assert "Cookie" in response["Vary"] and "Accept-Language" in response["Vary"]


OPENED_FILES = []


def download_gone(request: HttpRequest) -> FileResponse:
    """A plain view answering 410 with an open file: the envelope replaces the body."""
    handle = open(__file__, "rb")  # noqa: SIM115 - the response owns it
    OPENED_FILES.append(handle)
    return FileResponse(handle, status=410, filename="gone.txt")


urlpatterns = [path("api/gone/", download_gone)]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_envelope_releases_what_the_replaced_response_held_when_the_request_ends():
    OPENED_FILES.clear()
    response = Client().get("/api/gone/")

    assert response.status_code == 410
    assert response.json()["error"]["request_id"] == response["X-Request-Id"]
    # The test client closes the response it received, as a WSGI server would: the envelope's
    # closing closes the file the replaced FileResponse had opened.
    assert [handle.closed for handle in OPENED_FILES] == [True]
