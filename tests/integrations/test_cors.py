"""Browsers: API responses expose the request-ID header to JavaScript, with django-cors-headers in either order."""

import pytest
from django.test import Client

ORIGIN = "https://app.example.com"
ERROR_REGISTRY_FIRST = ["errorregistry.middleware.RequestIdMiddleware", "corsheaders.middleware.CorsMiddleware"]
CORS_FIRST = ["corsheaders.middleware.CorsMiddleware", "errorregistry.middleware.RequestIdMiddleware"]


def exposed(response) -> list[str]:
    return [name.strip().lower() for name in response.get("Access-Control-Expose-Headers", "").split(",") if name.strip()]


@pytest.fixture(params=[ERROR_REGISTRY_FIRST, CORS_FIRST], ids=["errorregistry-first", "cors-first"])
def cors_client(request, settings) -> Client:
    rest = [name for name in settings.MIDDLEWARE if name != "errorregistry.middleware.RequestIdMiddleware"]
    settings.MIDDLEWARE = request.param + rest
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    return Client(raise_request_exception=False, HTTP_ORIGIN=ORIGIN)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/demo/health/", "/api/demo/account/", "/api/demo/plain/missing/", "/api/demo/plain/crash/"])
def test_api_responses_expose_the_request_id_header_with_django_cors_headers(cors_client, path):
    response = cors_client.get(path)

    assert response["Access-Control-Allow-Origin"] == ORIGIN  # django-cors-headers answered the browser
    assert "x-request-id" in exposed(response)


@pytest.mark.django_db
def test_the_projects_own_exposed_headers_are_kept_when_errorregistry_runs_first(settings):
    settings.MIDDLEWARE = ERROR_REGISTRY_FIRST + [n for n in settings.MIDDLEWARE if "RequestId" not in n]
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    settings.CORS_EXPOSE_HEADERS = ["X-Total-Count"]

    response = Client(HTTP_ORIGIN=ORIGIN).get("/api/demo/account/")

    assert exposed(response) == ["x-total-count", "x-request-id"]


@pytest.mark.django_db
def test_a_renamed_request_id_header_is_the_one_exposed(api_client, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "REQUEST_ID_HEADER": "X-Correlation-Id"}

    response = api_client.get("/api/demo/health/", HTTP_ORIGIN=ORIGIN)

    assert exposed(response) == ["x-correlation-id"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/demo/health/", "/api/demo/account/"])
def test_a_same_origin_request_gets_no_exposed_headers(api_client, path):
    """No Origin header: the browser's own page asked, and its scripts read every header already."""
    response = api_client.get(path)

    assert response["X-Request-Id"]
    assert "Access-Control-Expose-Headers" not in response


@pytest.mark.django_db
def test_pages_outside_the_api_prefixes_expose_nothing(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert "Access-Control-Expose-Headers" not in response

