"""The generated error reference: the seeds' structure, the registry's content, escaped, in two languages."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from errorregistry.envelope.formatters import RenderedError, get_formatter
from errorregistry.models import ErrorCode
from errorregistry.publish.document import markdown_escape, render_html, render_markdown
from errorregistry.publish.reference import EXAMPLE_REQUEST_ID, build_reference
from errorregistry.registry.store import registry
from tests.admin_forms import edit_in_admin

REFERENCE = "/api/errors/reference/"


def docs(*args: str) -> str:
    out = StringIO()
    call_command("errorregistry_docs", *args, stdout=out)
    return out.getvalue()


def markdown_rows(page: str) -> dict[str, list[str]]:
    """Code -> its cells (status, retry, message, action) in the code tables of a Markdown page."""
    rows = {}
    for line in page.splitlines():
        match = re.match(r"^\| (?:\[)?`([^`]+)`(?:\]\([^)]*\))? \| (.*) \|$", line)
        cells = re.split(r"(?<!\\) \| ", match.group(2)) if match else []
        if len(cells) == 4:
            rows[match.group(1)] = cells
    return rows


def json_example(page: str) -> dict:
    return json.loads(re.search(r"```json\n(.*?)\n```", page, re.S).group(1))


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_markdown_lists_every_active_code_with_the_registry_texts(synced, language):
    page = docs("--format", "markdown", "--language", language)

    rows = markdown_rows(page)
    assert set(rows) == set(registry.all())
    for code, entry in registry.all().items():
        message, action, _ = entry.texts(language)
        status, retry, shown_message, shown_action = rows[code]
        assert status == str(entry.http_status)
        assert shown_message == markdown_escape(message)
        assert shown_action == markdown_escape(action)
        assert retry.startswith(("Yes", "Oui")) == entry.retryable


@pytest.mark.django_db
def test_markdown_has_the_sections_every_errors_page_shares(synced):
    page = docs("--format", "markdown")
    headings = [line for line in page.splitlines() if line.startswith("#")]
    assert headings[:4] == ["# Errors", "## Error envelope", "## HTTP status codes", "## Error codes"]
    assert headings[-1] == "## Retries and support"
    assert "| Code | Status | Retry? | Message | What to do |" in page
    assert "| `402` | Payment required: the operation needs credits or a paid plan. |" in page
    assert "| `rate_limited` | 429 | Yes, after 60 s |" in page
    assert "`Retry-After`" in page
    assert "include the request ID: `error.request_id` in the body, also sent as the `X-Request-Id`" in page


@pytest.mark.django_db
def test_codes_are_grouped_under_their_category(synced):
    page = docs("--format", "markdown")
    billing = page.split("### Billing (402)")[1].split("###")[0]
    assert "`insufficient_credits`" in billing and "`payment_required`" in billing
    assert "`not_found`" not in billing
    assert page.index("### Authentication (401)") < page.index("### Server (500, 503)")


@pytest.mark.django_db
def test_french_page_translates_the_page_itself(synced):
    page = docs("--format", "markdown", "--language", "fr")
    assert page.startswith("# Erreurs\n")
    assert "## Codes de statut HTTP" in page
    assert "| Code | Statut | Réessayer ? | Message | Que faire |" in page
    assert "### Facturation (402)" in page
    assert "| `rate_limited` | 429 | Oui, après 60 s |" in page
    assert json_example(page)["error"]["message"] == "Un ou plusieurs champs sont invalides."


@pytest.mark.django_db(transaction=True)
def test_docs_show_an_entry_edited_in_the_admin_a_moment_earlier(synced, admin_client):
    edit_in_admin(
        admin_client,
        "insufficient_credits",
        message="Out of credits: top up first.",
        retryable="on",
        confirm_contract_change="on",
        **{"translations-0-message": "Plus de crédits : rechargez d'abord."},
    )

    assert markdown_rows(docs("--format", "markdown"))["insufficient_credits"][:3] == [
        "402", "Yes", "Out of credits: top up first."
    ]
    french_html = docs("--format", "html", "--language", "fr")
    assert "Plus de crédits : rechargez d&#x27;abord." in french_html


@pytest.mark.django_db
@pytest.mark.parametrize("preset", ["error", "detail", "status", "problem"])
def test_envelope_example_is_what_the_configured_formatter_produces(synced, preset):
    with override_settings(ERROR_REGISTRY={"CATALOG": "project.demo.catalog.DEMO_CODES", "ENVELOPE": preset}):
        example = json_example(docs("--format", "markdown"))
        entry = registry.get("validation_error")
        expected = get_formatter().format(
            RenderedError(
                code="validation_error",
                status=400,
                message=entry.message,
                request_id=EXAMPLE_REQUEST_ID,
                errors=[{"field": "email", "code": "invalid", "message": "Enter a valid email address."}],
                instance="/api/orders/",
                type="/api/errors/reference/#code-validation_error",
                category="validation",
            )
        )
    assert example == expected


@pytest.mark.django_db
def test_problem_preset_names_its_media_type(synced):
    with override_settings(ERROR_REGISTRY={"ENVELOPE": "problem", "KEY_STYLE": "camel"}):
        page = docs("--format", "markdown")
    assert "Error responses use the media type `application/problem+json`." in page
    assert "| `requestId` |" in page


@pytest.mark.django_db
def test_admin_entered_markup_is_shown_as_text(synced):
    row = ErrorCode.objects.get(code="payment_required")
    row.message = "<script>alert('x')</script> | *pay* [now](javascript:alert(1))"
    row.save()

    html = docs("--format", "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; | *pay* [now](javascript:alert(1))" in html
    assert 'href="javascript' not in html

    markdown = docs("--format", "markdown")
    assert "<script>" not in markdown
    assert markdown_rows(markdown)["payment_required"][2] == (
        r"\<script\>alert('x')\</script\> \| \*pay\* \[now\](javascript:alert(1))"
    )


@pytest.mark.django_db
def test_html_page_is_self_contained(synced):
    html = docs("--format", "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "<style>" in html
    assert "<script" not in html and "<link" not in html and "src=" not in html


@pytest.mark.django_db
def test_reference_view_serves_the_html_page_in_the_requested_language(client, synced):
    response = client.get(REFERENCE, {"lang": "fr"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Language"] == "fr"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert '<html lang="fr">' in page
    assert "<h2 id=\"codes\">Codes d&#x27;erreur</h2>" in page
    assert "La ressource demandée n&#x27;existe pas." in page


@pytest.mark.django_db
def test_reference_view_follows_accept_language(client, synced):
    response = client.get(REFERENCE, HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.8")
    assert '<html lang="fr">' in response.content.decode()
    assert "Accept-Language" in response["Vary"]


@pytest.mark.django_db
def test_reference_view_falls_back_to_the_default_language(client, synced):
    response = client.get(REFERENCE, {"lang": "<xx>"})
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.django_db
def test_command_writes_the_requested_file(synced, tmp_path):
    target = tmp_path / "errors.fr.html"
    call_command("errorregistry_docs", "--format", "html", "--language", "fr", "--output", str(target), stderr=StringIO())
    assert target.read_text(encoding="utf-8") == render_html_in("fr")


def render_html_in(language: str) -> str:
    return render_html(build_reference(language))


@pytest.mark.django_db
def test_markdown_and_html_carry_the_same_codes(synced):
    reference = build_reference("en")
    markdown = render_markdown(reference)
    html = render_html_in("en")
    for code in registry.all():
        assert f"`{code}`" in markdown
        assert f'<code id="code-{code}">{code}</code>' in html  # the anchor the problem type points at
