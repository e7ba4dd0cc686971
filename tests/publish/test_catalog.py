"""The JSON catalog: every active code, in the client's language, cheap to poll."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from errorregistry.models import ErrorCode
from errorregistry.registry.store import registry
from tests.admin_forms import edit_in_admin

CATALOG = "/api/errors/"
ITEM_KEYS = {"code", "http_status", "category", "retryable", "retry_after", "message", "action", "docs_url"}


@pytest.mark.django_db
def test_catalog_lists_every_active_code_sorted_by_code(api_client, synced):
    ErrorCode.objects.filter(code="mfa_required").update(is_active=False)
    registry.invalidate()

    items = api_client.get(CATALOG).json()

    codes = [item["code"] for item in items]
    assert codes == sorted(registry.all())
    assert "mfa_required" not in codes
    assert all(set(item) == ITEM_KEYS for item in items)
    credits = next(item for item in items if item["code"] == "insufficient_credits")
    assert credits["http_status"] == 402
    assert credits["category"] == "billing"
    assert credits["docs_url"] == "https://docs.example.com/errors#insufficient_credits"


@pytest.mark.django_db
def test_catalog_rate_limited_entry_carries_its_retry_facts(api_client, synced):
    item = api_client.get(CATALOG + "rate_limited/").json()
    assert (item["retryable"], item["retry_after"]) == (True, 60)


@pytest.mark.django_db
def test_catalog_speaks_the_accept_language_language(api_client, synced):
    response = api_client.get(CATALOG + "not_found/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert response.json()["message"] == "La ressource demandée n'existe pas."
    assert response["Content-Language"].startswith("fr")
    assert "Accept-Language" in response["Vary"]


@pytest.mark.django_db
def test_lang_query_parameter_wins_over_accept_language(api_client, synced):
    items = api_client.get(CATALOG + "?lang=fr", HTTP_ACCEPT_LANGUAGE="en").json()
    messages = {item["code"]: item["message"] for item in items}
    assert messages["not_found"] == "La ressource demandée n'existe pas."
    # A code without a French text falls back to its default text.
    assert messages["mfa_required"] == "MFA enrollment is required by this workspace."


@pytest.mark.django_db
def test_catalog_answers_304_to_a_matching_if_none_match(api_client, synced):
    first = api_client.get(CATALOG)
    assert first.status_code == 200
    assert first["ETag"]
    assert "max-age=" in first["Cache-Control"] and "public" in first["Cache-Control"]

    again = api_client.get(CATALOG, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


@pytest.mark.django_db
def test_etag_differs_per_language(api_client, synced):
    assert api_client.get(CATALOG + "?lang=fr")["ETag"] != api_client.get(CATALOG + "?lang=en")["ETag"]


@pytest.mark.django_db(transaction=True)
def test_etag_changes_after_an_admin_edit(api_client, synced, admin_client):
    before = api_client.get(CATALOG)

    edit_in_admin(admin_client, "insufficient_credits", message="Out of credits.")

    after = api_client.get(CATALOG, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    credits = next(item for item in after.json() if item["code"] == "insufficient_credits")
    assert credits["message"] == "Out of credits."


@pytest.mark.django_db(transaction=True)
def test_a_read_writes_no_version_stamp_and_a_lost_stamp_still_changes_the_etag(api_client, synced, admin_client):
    from django.core.cache import cache

    from errorregistry.registry.store import VERSION_CACHE_KEY

    cache.clear()
    registry.invalidate()
    before = api_client.get(CATALOG)
    assert cache.get(VERSION_CACHE_KEY) is None  # a read is a read: no stamp created

    edit_in_admin(admin_client, "insufficient_credits", message="Out of credits.")
    cache.clear()  # the stamp the edit published is lost (eviction, a Redis restart)
    registry.invalidate()

    after = api_client.get(CATALOG, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]


@pytest.mark.django_db
def test_warm_catalog_costs_zero_database_queries(api_client, synced, django_assert_num_queries):
    api_client.get(CATALOG)
    api_client.get(CATALOG + "not_found/")
    with django_assert_num_queries(0):
        assert api_client.get(CATALOG).status_code == 200
        assert api_client.get(CATALOG + "not_found/").status_code == 200
        assert api_client.get(CATALOG, HTTP_IF_NONE_MATCH="*").status_code == 304


@pytest.mark.django_db
def test_detail_url_returns_one_code(api_client, synced):
    response = api_client.get(CATALOG + "insufficient_credits/?lang=fr")
    item = response.json()
    assert set(item) == ITEM_KEYS
    assert item["code"] == "insufficient_credits"
    assert item["message"] == "Crédits insuffisants : {balance} restants, {required} nécessaires."
    assert response["ETag"]


@pytest.mark.django_db
def test_unknown_code_gets_the_standard_envelope_with_404(api_client, synced):
    response = api_client.get(CATALOG + "no_such_code/")
    assert response.status_code == 404
    body = response.json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["request_id"] == response["X-Request-Id"]
    assert body["error"]["details"] == {"code": "no_such_code"}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["fr%0d%0aX-Injected:1", "zz", "x" * 5000, "<script>"])
def test_hostile_or_unknown_lang_falls_back_to_a_supported_language(api_client, lang):
    response = api_client.get(f"/api/errors/?lang={lang}")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "X-Injected" not in response


@pytest.mark.django_db
def test_inactive_code_has_no_detail_page(api_client):
    from tests.factories import ErrorCodeFactory

    ErrorCodeFactory(code="retired_code", is_active=False)
    response = api_client.get("/api/errors/retired_code/")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


# -- public caching: nothing in the response may depend on more than the URL and Accept-Language --

LOCALE_MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.locale.LocaleMiddleware"]


@pytest.mark.django_db
@pytest.mark.parametrize("middleware", [settings.MIDDLEWARE, LOCALE_MIDDLEWARE], ids=["plain", "locale-middleware"])
@pytest.mark.parametrize("url", [CATALOG, CATALOG + "not_found/", CATALOG + "reference/"])
def test_public_pages_ignore_the_language_cookie(client, synced, middleware, url):
    """Vary says Accept-Language only: a shared cache must not hand one visitor's cookie language to all."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    # LocaleMiddleware activates the cookie's language for the thread: restore it afterwards.
    with override_settings(MIDDLEWARE=middleware), translation.override(settings.LANGUAGE_CODE):
        by_cookie = client.get(url)
        by_header = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert by_cookie["Content-Language"] == "en"
    assert "Cookie" not in by_cookie.get("Vary", "")
    assert by_header["Content-Language"] == "fr"


@pytest.mark.django_db
@pytest.mark.parametrize("url", [CATALOG, CATALOG + "not_found/", CATALOG + "reference/"])
def test_public_cacheable_responses_carry_no_request_id(client, synced, url):
    """A shared cache would replay one request's X-Request-Id to every client."""
    first = client.get(url)
    assert "public" in first["Cache-Control"]
    assert "X-Request-Id" not in first
    if first.has_header("ETag"):
        assert "X-Request-Id" not in client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])


@pytest.mark.django_db
def test_private_responses_keep_their_request_id(client, synced):
    assert client.get("/api/demo/health/")["X-Request-Id"].startswith("req_")
    assert client.get(CATALOG + "no_such_code/")["X-Request-Id"].startswith("req_")
