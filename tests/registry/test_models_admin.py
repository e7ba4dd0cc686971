"""The registry models and their admin: validation in forms, inline translations, read-only codes."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from errorregistry.models import ErrorCode, ErrorCodeTranslation
from tests.factories import ErrorCodeFactory, TranslationFactory


@pytest.mark.parametrize("code", ["insufficient_credits", "INSUFFICIENT_CREDITS", "auth.token-expired", "x" * 64])
def test_legal_code_styles(code):
    ErrorCode(code=code, http_status=400, message="m").full_clean(validate_unique=False)  # raises if illegal


@pytest.mark.parametrize("code", ["has space", "émoji", "x" * 65, "semi;colon", ""])
def test_illegal_codes_are_rejected(code):
    with pytest.raises(ValidationError) as raised:
        ErrorCode(code=code, http_status=400, message="m").full_clean(validate_unique=False)
    assert "code" in raised.value.message_dict


@pytest.mark.parametrize("status, valid", [(399, False), (400, True), (599, True), (600, False), (200, False)])
def test_http_status_is_limited_to_error_statuses(status, valid):
    row = ErrorCode(code="c", http_status=status, message="m")
    if valid:
        row.full_clean(validate_unique=False)
    else:
        with pytest.raises(ValidationError):
            row.full_clean(validate_unique=False)


@pytest.mark.django_db
def test_translations_are_reachable_and_unique_per_language():
    code = ErrorCodeFactory()
    TranslationFactory(error_code=code, language="fr")
    assert [t.language for t in code.translations.all()] == ["fr"]
    with pytest.raises(ValidationError):
        ErrorCodeTranslation(error_code=code, language="fr", message="again").full_clean()


@pytest.mark.django_db
def test_translation_language_must_be_in_settings_languages(settings):
    code = ErrorCodeFactory()
    with pytest.raises(ValidationError):
        ErrorCodeTranslation(error_code=code, language="xx", message="m").full_clean()
    settings.LANGUAGES = [("en", "English"), ("xx", "Test")]
    ErrorCodeTranslation(error_code=code, language="xx", message="m").full_clean()


def inline_management(prefix="translations", total=1, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def code_form(**overrides):
    data = {
        "code": "quota_exceeded",
        "http_status": "429",
        "category": "rate_limit",
        "message": "Quota of {limit} exceeded.",
        "action": "Wait.",
        "retryable": "on",
        "retry_after": "60",
        "docs_url": "",
        "is_active": "on",
        "audit_policy": "always",
        "audit_sample_rate": "1.0",
        **inline_management(),
        "translations-0-language": "fr",
        "translations-0-message": "Quota de {limit} dépassé.",
        "translations-0-action": "Attendez.",
    }
    data.update(overrides)
    return data


def test_admin_adds_a_code_with_an_inline_translation(admin_client):
    response = admin_client.post(reverse("admin:errorregistry_errorcode_add"), code_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    row = ErrorCode.objects.get(code="quota_exceeded")
    assert row.translations.get().message == "Quota de {limit} dépassé."


def test_admin_shows_validation_errors_in_the_form_not_a_500(admin_client):
    response = admin_client.post(
        reverse("admin:errorregistry_errorcode_add"), code_form(code="bad code", http_status="200")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "code" in errors and "http_status" in errors


def test_admin_rejects_a_language_outside_settings_languages(admin_client):
    response = admin_client.post(
        reverse("admin:errorregistry_errorcode_add"), code_form(**{"translations-0-language": "xx"})
    )
    assert response.status_code == 200
    assert not ErrorCode.objects.filter(code="quota_exceeded").exists()


def test_code_is_read_only_once_saved(admin_client):
    row = ErrorCodeFactory(code="frozen_code", http_status=400)
    url = reverse("admin:errorregistry_errorcode_change", args=[row.pk])
    page = admin_client.get(url)
    assert 'name="code"' not in page.content.decode()
    response = admin_client.post(url, code_form(code="renamed", http_status="409", confirm_contract_change="on"))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.code, row.http_status) == ("frozen_code", 409)


def test_admin_list_shows_languages_present_and_filters(admin_client):
    TranslationFactory(error_code=ErrorCodeFactory(code="listed_code"), language="fr")
    page = admin_client.get(reverse("admin:errorregistry_errorcode_changelist") + "?q=listed")
    content = page.content.decode()
    assert "listed_code" in content and "Message for listed_code." in content
    assert '<span class="errorregistry-badge ok" title="translated">fr ✓</span>' in content
    assert admin_client.get(reverse("admin:errorregistry_errorcode_changelist") + "?category__exact=auth").status_code == 200


def test_admin_edit_changes_responses_at_once(admin_client, api_client):
    row = ErrorCodeFactory(code="not_authenticated", http_status=401, message="Log in first.")
    url = reverse("admin:errorregistry_errorcode_change", args=[row.pk])
    form = code_form(
        code="not_authenticated", http_status="401", message="Please sign in.", retryable="", **inline_management(total=0)
    )
    assert admin_client.post(url, form).status_code == 302
    assert api_client.get("/api/demo/account/").json()["error"]["message"] == "Please sign in."

