"""End to end: a real browser pastes a failing request's X-Request-Id into the support console."""

import os
import shutil
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from errorregistry.models import ErrorEvent
from tests.factories import UserFactory

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("ERRORREGISTRY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
E2E_REQUIRED = bool(os.environ.get("ERRORREGISTRY_E2E"))


def chromium_path() -> str | None:
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture
def launch_browser():
    """Start Debian's chromium through Playwright, when the test is ready for it.

    Skipped only if chromium (or playwright) is absent and ERRORREGISTRY_E2E is
    unset. Playwright's sync API runs an event loop in this thread, and Django
    refuses ORM calls while one runs: so the test does its database work first,
    then launches the browser.
    """
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if E2E_REQUIRED:
            pytest.fail("ERRORREGISTRY_E2E is set but the playwright package is not installed")
        pytest.skip("playwright is not installed (set ERRORREGISTRY_E2E=1 to make this a failure)")
    if executable is None:
        if E2E_REQUIRED:
            pytest.fail(f"ERRORREGISTRY_E2E is set but no chromium was found at {CHROMIUM} or on PATH")
        pytest.skip(f"no chromium at {CHROMIUM} or on PATH (apt-get install chromium; ERRORREGISTRY_E2E=1 to require it)")

    @contextmanager
    def launch():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()

    return launch


def artifacts_dir() -> Path:
    path = Path(os.environ.get("ERRORREGISTRY_ARTIFACTS") or REPO_ROOT / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def failing_api_call(base_url: str, **headers: str) -> tuple[int, str]:
    """An unauthenticated GET on an endpoint that needs a login: (status, X-Request-Id)."""
    request = urllib.request.Request(base_url + "/api/demo/account/", headers={"Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the live test server
            return response.status, response.headers.get("X-Request-Id", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("X-Request-Id", "")


@pytest.mark.e2e
def test_support_finds_a_real_failed_request_by_its_pasted_request_id(
    live_server, transactional_db, launch_browser, settings
):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "TRACE_URL": "https://tracing.example.com/trace/{trace_id}"}
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    UserFactory(username="support", is_staff=True, permissions=["errorregistry.view_errorevent"])
    status, request_id = failing_api_call(live_server.url, traceparent=f"00-{trace_id}-00f067aa0ba902b7-01")
    assert status in (401, 403)
    assert request_id.startswith("req_")
    event = ErrorEvent.objects.get(request_id=request_id)

    with launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/admin/login/?next=/admin/errorregistry/supportconsole/")
        page.fill("#id_username", "support")
        page.fill("#id_password", "pw")
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/errorregistry/supportconsole/")
        page.fill("input[name=q]", f"  '{request_id}'. ")
        page.click("form.support-search input[type=submit]")
        page.wait_for_url(f"**/admin/errorregistry/supportconsole/events/{event.pk}/")
        body = page.inner_text("#content")
        trace_link = page.get_attribute("#support-trace-link", "href")
        screenshot = page.screenshot(full_page=True)

    assert trace_link == f"https://tracing.example.com/trace/{trace_id}"
    assert request_id in body
    assert event.code in body
    assert str(event.http_status) in body
    (artifacts_dir() / "support-event.png").write_bytes(screenshot)
    if os.environ.get("ERRORREGISTRY_UPDATE_DOCS_SCREENSHOT") == "1":
        # Refresh the docs' picture (docs/support.md) on request only, so a test run leaves the tree clean.
        (REPO_ROOT / "docs" / "support-view.png").write_bytes(screenshot)


# -- the admin and the console as product people and support agents use them ------------------

NARROW = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def update_docs(name: str, screenshot: bytes) -> None:
    (artifacts_dir() / name).write_bytes(screenshot)
    if os.environ.get("ERRORREGISTRY_UPDATE_DOCS_SCREENSHOT") == "1":
        (REPO_ROOT / "docs" / name).write_bytes(screenshot)


def log_in(page, base_url: str, username: str, next_url: str) -> None:
    page.goto(f"{base_url}/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_url}")


OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.support-scroll, pre, .hidden'))
  .filter(e => getComputedStyle(e).visibility !== 'hidden' && e.offsetParent !== null)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""


def fits_the_viewport(page) -> bool:
    """No horizontal scrolling of the page itself (wide tables scroll inside their own box)."""
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    if not fits:
        print("overflowing:", page.evaluate(OVERFLOWING))
    return fits


@pytest.fixture
def demo_registry(transactional_db):
    from errorregistry.registry.store import registry
    from errorregistry.registry.sync import sync

    sync()
    registry.invalidate()


@pytest.mark.e2e
def test_a_product_person_edits_a_code_with_the_live_preview_and_confirms_a_status_change(
    live_server, demo_registry, launch_browser
):
    from errorregistry.models import ErrorCode

    UserFactory(username="product", is_staff=True, is_superuser=True)
    row = ErrorCode.objects.get(code="rate_limited")
    url = f"/admin/errorregistry/errorcode/{row.pk}/change/"

    with launch_browser() as browser:
        page = browser.new_page(viewport=WIDE)
        log_in(page, live_server.url, "product", url)
        preview = page.locator("#errorregistry-preview")
        page.wait_for_function("document.getElementById('errorregistry-preview').dataset.state === 'fresh'")
        page.fill("#id_message", "Slow down: at most {limit} calls a minute.")
        page.wait_for_function(
            "document.getElementById('errorregistry-preview').innerText.includes('at most 100 calls a minute')"
        )
        english = preview.locator('[data-language="en"] pre').inner_text()
        french_badge = preview.locator('[data-language="fr"] h3').inner_text()
        placeholders = preview.locator(".errorregistry-placeholders").inner_text()
        inline_text = page.locator("#translations-group").inner_text()
        edit_shot = page.screenshot(full_page=True)
        page.fill("#id_http_status", "503")
        page.click("input[name=_save]")
        page.wait_for_selector("input[name=confirm_contract_change][type=checkbox]")
        warning = page.locator(".errornote, .errorlist.nonfield").first.inner_text() + page.inner_text("#content")
        confirm_shot = page.screenshot(full_page=True)
        page.check("input[name=confirm_contract_change]")
        page.click("input[name=_save]")
        page.wait_for_url("**/admin/errorregistry/errorcode/")
        page.goto(f"{live_server.url}/admin/errorregistry/errorcode/{row.pk}/history/")
        browser_history = page.inner_text("#content")

    assert '"message": "Slow down: at most 100 calls a minute."' in english
    assert "HTTP/1.1 429 Too Many Requests" in english
    assert "translated" in french_badge
    assert "{limit}" in placeholders
    assert f"{row.pk}:fr" not in inline_text  # no raw object label in the translations inline
    assert "429 → 503" in warning
    assert "HTTP status: 429 → 503" in browser_history
    assert ErrorCode.objects.get(pk=row.pk).http_status == 503
    update_docs("code-edit.png", edit_shot)
    update_docs("code-confirm.png", confirm_shot)


@pytest.mark.e2e
def test_the_coverage_page_lists_untranslated_codes(live_server, demo_registry, launch_browser):
    UserFactory(username="product", is_staff=True, is_superuser=True)

    with launch_browser() as browser:
        page = browser.new_page(viewport=WIDE)
        log_in(page, live_server.url, "product", "/admin/errorregistry/errorcode/")
        page.click("#errorregistry-coverage-link")
        page.wait_for_url("**/admin/errorregistry/errorcode/coverage/")
        french = page.inner_text("#coverage-fr")
        screenshot = page.screenshot(full_page=True)

    assert "ip_not_allowed" in french
    assert "codes incomplete" in french
    update_docs("translation-coverage.png", screenshot)


@pytest.mark.e2e
def test_support_filters_the_list_sees_the_chart_and_downloads_the_csv(live_server, demo_registry, launch_browser):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import ErrorEventFactory

    UserFactory(username="support", is_staff=True, permissions=["errorregistry.view_errorevent"])
    now = timezone.now()
    for minutes in range(0, 600, 7):
        ErrorEventFactory(code="not_found", http_status=404, method="GET", path=f"/api/demo/orders/{minutes}/",
                          created_at=now - timedelta(minutes=minutes))
    for minutes in range(0, 300, 11):
        ErrorEventFactory(code="rate_limited", http_status=429, method="POST", language="fr",
                          path="/api/demo/exports/", created_at=now - timedelta(minutes=minutes))
    ErrorEventFactory(code="insufficient_credits", http_status=402, method="POST", path="/api/demo/exports/",
                      user_id="7", user_name="ada", details={"balance": 3, "required": 10}, created_at=now)
    ErrorEventFactory.create_batch(3, code="not_found", created_at=now - timedelta(hours=30))

    with launch_browser() as browser:
        page = browser.new_page(viewport=WIDE, accept_downloads=True)
        log_in(page, live_server.url, "support", "/admin/errorregistry/supportconsole/events/")
        list_shot = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1400})
        trends = page.inner_text("#support-trends")
        page.select_option("#id_method", "POST")
        page.fill("#id_path", "/api/demo/exports/")
        page.click("#support-filters input[type=submit]")
        page.wait_for_url("**method=POST**")
        rows = page.locator("table.support-events tbody tr").count()
        with page.expect_download() as download_info:
            page.click("#support-export")
        download = download_info.value
        csv_text = Path(download.path()).read_text(encoding="utf-8")
        page.set_viewport_size(NARROW)
        narrow_fits = fits_the_viewport(page)
        narrow_shot = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": 390, "height": 2400})

    assert "not_found" in trends and "new" in trends
    assert rows == 29  # 28 rate_limited + 1 insufficient_credits, all POST /api/demo/exports/
    assert csv_text.startswith("created_at,request_id,")
    assert csv_text.count("\n") == 30
    assert "/api/demo/orders/" not in csv_text
    assert narrow_fits
    update_docs("support-list.png", list_shot)
    update_docs("support-list-narrow.png", narrow_shot)


@pytest.mark.e2e
def test_the_event_page_holds_at_1280_px_and_on_a_narrow_screen(live_server, demo_registry, launch_browser):
    from tests.factories import ErrorEventFactory

    UserFactory(username="support", is_staff=True,
                permissions=["errorregistry.view_errorevent", "errorregistry.change_errorcode"])
    event = ErrorEventFactory(
        code="insufficient_credits", http_status=402, message="Not enough credits: 3 left, 10 needed.",
        path="/api/demo/exports/" + "x" * 200, user_agent="Mozilla/5.0 " + "y" * 200, user_id="7", user_name="ada",
        details={"balance": 3, "required": 10, "note": "z" * 300},
    )
    url = f"/admin/errorregistry/supportconsole/events/{event.pk}/"

    with launch_browser() as browser:
        page = browser.new_page(viewport=WIDE)
        log_in(page, live_server.url, "support", url)
        wide_fits = fits_the_viewport(page)
        panel = page.locator(".support-entry").bounding_box()
        width = page.evaluate("window.innerWidth")
        response_text = page.inner_text("#support-response")
        edit_link = page.get_attribute("#support-edit-code", "href")
        page.set_viewport_size({"width": 1400, "height": 900})
        panel_1400 = page.locator(".support-entry").bounding_box()
        page.set_viewport_size(NARROW)
        narrow_fits = fits_the_viewport(page)
        narrow_shot = page.screenshot(full_page=True)

    assert wide_fits and narrow_fits
    assert panel["x"] + panel["width"] <= width
    assert panel_1400["x"] + panel_1400["width"] <= 1400
    assert "HTTP/1.1 402 Payment Required" in response_text
    assert '"balance": 3' in response_text
    assert edit_link.endswith("/change/")
    update_docs("support-event-narrow.png", narrow_shot)
