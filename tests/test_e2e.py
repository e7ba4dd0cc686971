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


def failing_api_call(base_url: str) -> tuple[int, str]:
    """An unauthenticated GET on an endpoint that needs a login: (status, X-Request-Id)."""
    request = urllib.request.Request(base_url + "/api/demo/account/", headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the live test server
            return response.status, response.headers.get("X-Request-Id", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("X-Request-Id", "")


@pytest.mark.e2e
def test_support_finds_a_real_failed_request_by_its_pasted_request_id(live_server, transactional_db, launch_browser):
    UserFactory(username="support", is_staff=True, permissions=["errorregistry.view_errorevent"])
    status, request_id = failing_api_call(live_server.url)
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
        screenshot = page.screenshot(full_page=True)

    assert request_id in body
    assert event.code in body
    assert str(event.http_status) in body
    (artifacts_dir() / "support-event.png").write_bytes(screenshot)
    if os.environ.get("ERRORREGISTRY_UPDATE_DOCS_SCREENSHOT") == "1":
        # Refresh the docs' picture (docs/support.md) on request only, so a test run leaves the tree clean.
        (REPO_ROOT / "docs" / "support-view.png").write_bytes(screenshot)
