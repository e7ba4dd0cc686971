"""The registry's code page as product people use it: live preview, placeholders, coverage,
the confirmation before a contract change, history with old and new values, and the coverage page."""

import json
import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from errorregistry.models import ErrorCode
from tests.factories import ErrorCodeFactory, TranslationFactory, UserFactory

pytestmark = pytest.mark.django_db

PREVIEW_URL = "/admin/errorregistry/errorcode/preview/"
COVERAGE_URL = "/admin/errorregistry/errorcode/coverage/"


def change_url(row: ErrorCode) -> str:
    return reverse("admin:errorregistry_errorcode_change", args=[row.pk])


def form_data(row: ErrorCode, **changes: str) -> dict[str, str]:
    """The change form of ``row`` as the browser posts it, with ``changes`` applied."""
    data = {
        "http_status": str(row.http_status),
        "category": row.category,
        "message": row.message,
        "action": row.action,
        "docs_url": row.docs_url,
        "retry_after": "" if row.retry_after is None else str(row.retry_after),
        "audit_policy": row.audit_policy,
        "audit_sample_rate": str(row.audit_sample_rate),
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
        "translations-MIN_NUM_FORMS": "0",
        "translations-MAX_NUM_FORMS": "1000",
    }
    if row.retryable:
        data["retryable"] = "on"
    if row.is_active:
        data["is_active"] = "on"
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def envelopes(html: str) -> dict[str, dict]:
    """The JSON body of each language's preview, keyed by language."""
    found = {}
    for language, block in re.findall(r'data-language="([^"]+)">(.*?)</section>', html, re.S):
        body = re.search(r'<pre class="errorregistry-envelope">(.*?)</pre>', block, re.S).group(1)
        body = body.replace("&quot;", '"').replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        found[language] = json.loads(body[body.index("\n{") :])
    return found


# -- preview, placeholders, coverage ---------------------------------------------------


def test_the_code_page_previews_the_envelope_in_every_language(admin_client):
    row = ErrorCodeFactory(code="quota_exceeded", http_status=429, message="Quota of {limit} exceeded.")
    TranslationFactory(error_code=row, language="fr", message="Quota de {limit} dépassé.", action="")

    html = admin_client.get(change_url(row)).content.decode()

    bodies = envelopes(html)
    assert bodies["en"]["error"]["message"] == "Quota of 100 exceeded."
    assert bodies["fr"]["error"]["message"] == "Quota de 100 dépassé."
    assert bodies["fr"]["error"]["details"] == {"limit": 100}
    assert "HTTP/1.1 429 Too Many Requests" in html


def test_the_code_page_lists_the_placeholders_and_flags_a_translation_that_drops_one(admin_client):
    row = ErrorCodeFactory(message="Not enough credits: {balance} left, {required} needed.")
    TranslationFactory(error_code=row, language="fr", message="Crédits insuffisants : {balance}.")

    html = admin_client.get(change_url(row)).content.decode()

    assert "<code>{balance}</code> <code>{required}</code>" in html
    assert "fr: {required} of the default message is missing" in html


def test_the_code_page_shows_a_coverage_badge_per_language(admin_client):
    translated = ErrorCodeFactory(code="translated", action="Act.")
    TranslationFactory(error_code=translated, language="fr", message="M.", action="A.")
    untranslated = ErrorCodeFactory(code="untranslated", action="Act.")

    assert '<span class="errorregistry-badge ok">translated</span>' in admin_client.get(change_url(translated)).content.decode()
    html = admin_client.get(change_url(untranslated)).content.decode()
    assert '<span class="errorregistry-badge missing">missing: message, action</span>' in html
    assert "No message in this language: clients get the en text." in html


def test_the_preview_follows_the_form_as_typed_before_saving(admin_client):
    row = ErrorCodeFactory(code="typed", http_status=400, message="Saved text.")

    response = admin_client.post(
        PREVIEW_URL,
        form_data(row, message="Typed {field} text.", http_status="422", original_code="typed", retry_after="30",
                  **{"translations-TOTAL_FORMS": "1", "translations-0-language": "fr",
                     "translations-0-message": "Texte {field}.", "translations-0-action": ""}),
    )

    assert response.status_code == 200
    html = response.content.decode()
    bodies = envelopes(html)
    assert bodies["en"]["error"] == {"code": "typed", "message": "Typed email text.",
                                     "request_id": "req_01J8Z3K4M5N6P7Q8R9S0T1V2W3", "details": {"field": "email"}}
    assert bodies["fr"]["error"]["message"] == "Texte email."
    assert "HTTP/1.1 422 Unprocessable Content" in html or "HTTP/1.1 422 Unprocessable Entity" in html
    assert "Retry-After: 30" in html
    assert ErrorCode.objects.get(pk=row.pk).message == "Saved text."  # nothing saved


def test_the_preview_uses_the_configured_envelope(admin_client, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "ENVELOPE": "problem", "KEY_STYLE": "camel"}
    row = ErrorCodeFactory(code="problem_code", http_status=409, message="Conflict.")

    bodies = envelopes(admin_client.post(PREVIEW_URL, form_data(row, original_code="problem_code")).content.decode())

    assert bodies["en"]["status"] == 409
    assert bodies["en"]["requestId"] == "req_01J8Z3K4M5N6P7Q8R9S0T1V2W3"


def test_the_preview_escapes_admin_text(admin_client):
    row = ErrorCodeFactory(code="escaped")

    html = admin_client.post(PREVIEW_URL, form_data(row, message="<script>alert(1)</script>")).content.decode()

    assert "<script>alert(1)</script>" not in html


def test_the_preview_needs_a_post_with_a_csrf_token_and_the_right_to_edit(db):
    staff = Client()
    staff.force_login(UserFactory(username="viewer", is_staff=True, permissions=["errorregistry.view_errorcode"]))
    assert staff.post(PREVIEW_URL, {"message": "x"}).status_code == 403

    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(UserFactory(username="root2", is_staff=True, is_superuser=True))
    assert csrf.post(PREVIEW_URL, {"message": "x"}).status_code == 403

    assert Client().post(PREVIEW_URL, {"message": "x"}).status_code == 302  # to the login page


def test_the_preview_answers_only_post(admin_client):
    assert admin_client.get(PREVIEW_URL).status_code == 405


# -- contract changes ask for a confirmation --------------------------------------------------


def test_changing_the_status_of_a_live_code_asks_for_a_confirmation_first(admin_client):
    row = ErrorCodeFactory(code="rate_limited_x", http_status=429, message="Slow down.")

    response = admin_client.post(change_url(row), form_data(row, http_status="503"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "This changes the public contract of rate_limited_x (HTTP status: 429 → 503)" in html
    assert 'type="checkbox" name="confirm_contract_change"' in html
    assert ErrorCode.objects.get(pk=row.pk).http_status == 429


def test_a_confirmed_contract_change_is_saved(admin_client):
    row = ErrorCodeFactory(code="rate_limited_y", http_status=429)

    response = admin_client.post(change_url(row), form_data(row, http_status="503", confirm_contract_change="on"))

    assert response.status_code == 302
    assert ErrorCode.objects.get(pk=row.pk).http_status == 503


def test_turning_retryable_on_is_a_contract_change_too(admin_client):
    row = ErrorCodeFactory(code="flaky", retryable=False)

    response = admin_client.post(change_url(row), form_data(row, retryable="on"))

    assert "Retryable: no → yes" in response.content.decode()


def test_a_wording_change_needs_no_confirmation(admin_client):
    row = ErrorCodeFactory(code="wording")

    assert admin_client.post(change_url(row), form_data(row, message="Better words.")).status_code == 302


def test_the_confirmation_checkbox_stays_hidden_until_needed(admin_client):
    row = ErrorCodeFactory(code="quiet")

    html = admin_client.get(change_url(row)).content.decode()

    assert 'type="hidden" name="confirm_contract_change"' in html


def test_a_new_code_needs_no_confirmation(admin_client):
    response = admin_client.post(
        reverse("admin:errorregistry_errorcode_add"),
        form_data(ErrorCode(code="brand_new", http_status=402, category="billing", message="Pay."), code="brand_new"),
    )

    assert response.status_code == 302
    assert ErrorCode.objects.filter(code="brand_new").exists()


# -- history ----------------------------------------------------------------------------------


def test_history_shows_each_changed_field_with_its_old_and_new_value(admin_client):
    row = ErrorCodeFactory(code="history", http_status=429, message="Old words.")
    french = TranslationFactory(error_code=row, language="fr", message="Anciens mots.", action="")
    data = form_data(
        row, http_status="503", message="New words.", confirm_contract_change="on",
        **{"translations-TOTAL_FORMS": "1", "translations-INITIAL_FORMS": "1", "translations-0-id": str(french.pk),
           "translations-0-error_code": str(row.pk), "translations-0-language": "fr",
           "translations-0-message": "Nouveaux mots.", "translations-0-action": ""},
    )
    assert admin_client.post(change_url(row), data).status_code == 302

    entry = LogEntry.objects.filter(object_id=str(row.pk)).latest("action_time")
    message = entry.get_change_message()
    assert "Changed HTTP status: 429 → 503." in message
    assert "Changed Message: “Old words.” → “New words.”." in message
    assert "Changed translation fr: Message: “Anciens mots.” → “Nouveaux mots.”." in message
    assert "confirm" not in message.lower()
    history = admin_client.get(reverse("admin:errorregistry_errorcode_history", args=[row.pk])).content.decode()
    assert "429 → 503" in history


# -- the list and the inline --------------------------------------------------------------------


def test_the_code_list_has_a_message_column_and_a_coverage_column(admin_client):
    ErrorCodeFactory(code="listed", message="Listed message.")

    html = admin_client.get(reverse("admin:errorregistry_errorcode_changelist")).content.decode()

    assert '<td class="field-short_message">Listed message.</td>' in html
    assert 'title="missing: message, action">fr ✗</span>' in html
    assert f'href="{COVERAGE_URL}"' in html


def test_the_translations_inline_uses_compact_text_areas(admin_client):
    row = ErrorCodeFactory()

    html = admin_client.get(change_url(row)).content.decode()

    assert re.search(r'<textarea name="translations-0-message" cols="48" rows="2"', html)
    assert "errorregistry/code_admin.css" in html


# -- the coverage page and the CI check -----------------------------------------------------------


def test_the_coverage_page_lists_per_language_the_codes_missing_a_message_or_action(admin_client):
    complete = ErrorCodeFactory(code="complete_code", action="Act.")
    TranslationFactory(error_code=complete, language="fr", message="M.", action="A.")
    no_action = ErrorCodeFactory(code="no_action_code", action="Act.")
    TranslationFactory(error_code=no_action, language="fr", message="M.", action="")
    ErrorCodeFactory(code="nothing_code", action="")

    response = admin_client.get(COVERAGE_URL)

    html = response.content.decode()
    fr = html[html.index('id="coverage-fr"') :]
    assert 'data-code="no_action_code"' in fr and 'data-code="nothing_code"' in fr
    assert 'data-code="complete_code"' not in fr
    assert re.search(r'data-code="no_action_code">.*?<td>action</td>', fr, re.S)
    assert re.search(r'data-code="nothing_code">.*?<td>message</td>', fr, re.S)
    assert change_url(no_action) in fr


def test_the_coverage_page_needs_the_view_permission_on_codes(db):
    client = Client()
    client.force_login(UserFactory(username="plain-staff", is_staff=True))
    assert client.get(COVERAGE_URL).status_code == 403

    viewer = Client()
    viewer.force_login(UserFactory(username="code-viewer", is_staff=True, permissions=["errorregistry.view_errorcode"]))
    ErrorCodeFactory(code="viewer_sees")
    html = viewer.get(COVERAGE_URL).content.decode()
    assert 'data-code="viewer_sees"' in html
    assert "/change/" not in html  # no edit link without the change permission


def test_check_translations_fails_and_lists_what_is_missing(synced):
    out = StringIO()

    with pytest.raises(CommandError, match="translation"):
        call_command("errorregistry_docs", "--check-translations", stdout=out)

    text = out.getvalue()
    assert "fr: " in text and "codes incomplete" in text
    assert "  ip_not_allowed: missing message and action" in text


def test_check_translations_passes_when_every_code_is_translated(db, settings):
    settings.ERROR_REGISTRY = {}  # the built-in codes only: every one has its French texts
    out = StringIO()

    call_command("errorregistry_docs", "--check-translations", stdout=out)

    assert re.fullmatch(r"fr: all \d+ codes translated\.\n", out.getvalue())


def test_a_regional_variant_of_the_default_language_needs_no_translation(db, settings):
    settings.ERROR_REGISTRY = {}
    settings.LANGUAGES = [("en", "English"), ("en-gb", "British English"), ("fr", "Français")]

    out = StringIO()
    call_command("errorregistry_docs", "--check-translations", stdout=out)

    assert "en-gb" not in out.getvalue()


def test_check_translations_exits_non_zero_from_the_shell(tmp_path):
    # The demo catalog has codes without French texts; a fresh demo database has no rows, so the declared ones count.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", "ERRORREGISTRY_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage = str(django_settings.BASE_DIR / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "-v0"], env=env, check=True, timeout=120)

    result = subprocess.run(
        [sys.executable, manage, "errorregistry_docs", "--check-translations"],
        capture_output=True, text=True, env=env, timeout=120,
    )

    assert result.returncode == 1
    assert "ip_not_allowed: missing message and action" in result.stdout
    assert "translation(s) missing" in result.stderr


@pytest.mark.parametrize("language", ["de", "xx", "fr_FR!"])
def test_docs_refuse_an_unknown_language(synced, language):
    with pytest.raises(CommandError, match="Unknown language"):
        call_command("errorregistry_docs", "--language", language, stdout=StringIO())


def test_docs_accept_a_regional_variant_of_a_configured_language(synced):
    out = StringIO()
    call_command("errorregistry_docs", "--language", "fr-ca", stdout=out)
    assert out.getvalue().startswith("# Erreurs")


def test_an_untouched_extra_translation_row_saves_nothing(admin_client):
    row = ErrorCodeFactory(code="untouched")
    page = admin_client.get(change_url(row)).content.decode()
    assert '<option value="" selected>---------</option>' in page

    data = form_data(row, **{"translations-TOTAL_FORMS": "1", "translations-0-language": "",
                             "translations-0-message": "", "translations-0-action": ""})
    assert admin_client.post(change_url(row), data).status_code == 302
    assert not row.translations.exists()


@pytest.mark.django_db(transaction=True)  # the warning comes once the edit is committed
def test_the_admin_says_when_an_edit_could_not_be_published_to_the_shared_cache(admin_client, settings):
    row = ErrorCodeFactory(code="unpublished", message="Before.")
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "tests.test_faults.ExplodingCache"}}
    response = admin_client.post(change_url(row), form_data(row, message="After."), follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("could not be reached" in m and "60 seconds" in m for m in shown), shown


@pytest.mark.django_db(transaction=True)
def test_a_published_edit_shows_no_cache_warning(admin_client):
    row = ErrorCodeFactory(code="published", message="Before.")
    response = admin_client.post(change_url(row), form_data(row, message="After."), follow=True)
    assert response.status_code == 200 and ErrorCode.objects.get(code="published").message == "After."
    assert not any("could not be reached" in str(m) for m in response.context["messages"])


def test_a_code_survives_any_number_of_unchanged_saves_in_the_admin(admin_client):
    from tests.admin_forms import edit_in_admin

    ErrorCodeFactory(code="saved_often")
    for _ in range(3):
        edit_in_admin(admin_client, "saved_often")
    assert not ErrorCode.objects.get(code="saved_often").translations.exists()


def add_code_in_admin(client, category: str):
    return client.post(
        reverse("admin:errorregistry_errorcode_add"),
        form_data(ErrorCode(code="seeded", http_status=404, category=category, message="Gone."), code="seeded"),
    )


def test_a_project_category_from_the_setting_passes_the_admins_validation(admin_client, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "CATEGORIES": ["auth", "validation", "resource"]}
    assert "resource" in admin_client.get(reverse("admin:errorregistry_errorcode_add")).content.decode()
    assert add_code_in_admin(admin_client, "resource").status_code == 302
    assert ErrorCode.objects.get(code="seeded").category == "resource"


def test_without_the_setting_the_built_in_categories_apply(admin_client):
    response = add_code_in_admin(admin_client, "resource")
    assert response.status_code == 200 and "category" in response.context["adminform"].form.errors
    assert add_code_in_admin(admin_client, "not_found").status_code == 302


def test_the_publish_flag_says_what_it_does_where_it_is_edited(admin_client):
    row = ErrorCodeFactory(code="flagged")
    page = admin_client.get(change_url(row)).content.decode()
    assert "Published" in page and ">Active<" not in page
    assert "still sent to clients" in page and "OpenAPI schema" in page
    assert "By published" in admin_client.get(reverse("admin:errorregistry_errorcode_changelist")).content.decode()
