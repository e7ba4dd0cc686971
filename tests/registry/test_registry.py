"""The in-memory registry: fallbacks, zero-query warm lookups, and edits reaching every process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import override_settings

from errorregistry.models import ErrorCode
from errorregistry.registry.store import registry
from tests.factories import ErrorCodeFactory, TranslationFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_warm_lookup_costs_zero_queries(django_assert_num_queries, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the write commits
        ErrorCodeFactory(code="quota_exceeded", http_status=429)
    registry.get("quota_exceeded")
    with django_assert_num_queries(0):
        assert registry.get("quota_exceeded").http_status == 429
        assert registry.get("no_such_code") is None  # a miss is cached too
        assert registry.get("no_such_code") is None


@pytest.mark.django_db
def test_reload_reads_the_whole_registry_in_two_queries(django_assert_num_queries):
    TranslationFactory(error_code=ErrorCodeFactory(code="a_code"))
    TranslationFactory(error_code=ErrorCodeFactory(code="b_code"), language="en")
    registry.invalidate()
    with django_assert_num_queries(2):
        assert registry.get("a_code").translations["fr"][0] == "Message en français."
        assert registry.get("b_code") is not None


@pytest.mark.django_db
def test_edit_in_this_process_is_seen_at_once():
    code = ErrorCodeFactory(code="edit_me", message="Before.")
    assert registry.get("edit_me").message == "Before."
    code.message = "After."
    code.save()
    assert registry.get("edit_me").message == "After."


@pytest.mark.django_db
def test_deleted_code_falls_back_to_its_declaration():
    ErrorCodeFactory(code="not_found", http_status=410, message="Gone.")
    assert registry.get("not_found").http_status == 410
    ErrorCode.objects.filter(code="not_found").delete()
    assert registry.get("not_found").http_status == 404


@pytest.mark.django_db
def test_empty_registry_table_answers_from_built_in_declarations():
    assert ErrorCode.objects.count() == 0
    entry = registry.get("validation_error")
    assert entry.http_status == 400 and not entry.from_database


@pytest.mark.django_db
def test_inactive_code_is_left_out_of_the_catalog_listing():
    ErrorCodeFactory(code="retired_code", is_active=False)
    assert "retired_code" not in registry.all()
    assert "validation_error" in registry.all()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, expected_message, expected_action",
    [
        ("fr-ca", "Message fr-CA.", "Action fr."),  # action falls back independently
        ("fr", "Message fr.", "Action fr."),
        ("de", "Default message.", "Default action."),
        (None, "Default message.", "Default action."),
    ],
)
def test_texts_fall_back_from_region_to_language_to_default(language, expected_message, expected_action):
    code = ErrorCodeFactory(code="fallback_code", message="Default message.", action="Default action.")
    TranslationFactory(error_code=code, language="fr", message="Message fr.", action="Action fr.")
    TranslationFactory(error_code=code, language="fr-ca", message="Message fr-CA.", action="")
    message, action, _ = registry.get("fallback_code").texts(language)
    assert (message, action) == (expected_message, expected_action)


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="fr")
def test_texts_fall_back_to_language_code_before_the_default_text():
    code = ErrorCodeFactory(code="lang_code_fallback", message="Default.")
    TranslationFactory(error_code=code, language="fr", message="Défaut.")
    assert registry.get("lang_code_fallback").texts("de")[0] == "Défaut."


@pytest.mark.django_db
def test_catalog_setting_adds_project_declarations():
    assert registry.get("insufficient_credits").http_status == 402
    with override_settings(ERROR_REGISTRY={"CATALOG": None}):
        assert registry.get("insufficient_credits") is None


def _run_worker(tmp_path: Path, *args: str, **popen) -> subprocess.Popen:
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE="tests.crossprocess_settings", CROSSPROCESS_DIR=str(tmp_path), PYTHONPATH=str(ROOT)
    )
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "crossprocess_worker.py"), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def test_admin_edit_reaches_another_process_within_the_reload_interval(tmp_path):
    """Two real processes share a database file and a cache (file-based, or Redis when REDIS_URL is set)."""
    setup = _run_worker(tmp_path, "setup")
    assert setup.wait(timeout=120) == 0, setup.stderr.read()

    watcher = _run_worker(tmp_path, "watch", "validation_error")
    assert watcher.stdout.readline().strip() == "warm", watcher.stderr.read()
    started = time.monotonic()
    editor = _run_worker(tmp_path, "edit", "validation_error", "Edited in another process.")
    assert editor.wait(timeout=60) == 0, editor.stderr.read()
    edited_at = time.monotonic()
    line = watcher.stdout.readline().strip()
    seen_at = time.monotonic()
    watcher.wait(timeout=30)
    assert line == "seen: Edited in another process.", watcher.stderr.read()
    # RELOAD_INTERVAL is 1 s: the watcher must see the commit within interval + 1 s.
    assert seen_at - edited_at < 2.0, (started, edited_at, seen_at)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_registry_edit_is_forgotten():
    from django.db import transaction

    ErrorCodeFactory(code="conflict", http_status=409, message="Conflict.")
    registry.get("conflict")

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        with transaction.atomic():
            row = ErrorCode.objects.get(code="conflict")
            row.http_status, row.message = 499, "Never committed."
            row.save()
            assert registry.get("conflict").http_status == 499  # this transaction sees its own write
            raise Abort
    with transaction.atomic():  # as under ATOMIC_REQUESTS: a later transaction must not see it either
        assert registry.get("conflict").http_status == 409
    assert registry.get("conflict").message == "Conflict."


def _status_seen_by_another_thread(code: str) -> int:
    import threading

    from django.db import connection

    seen = []

    def look():
        try:
            seen.append(registry.get(code).http_status)
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.django_db(transaction=True)
def test_an_edit_inside_a_transaction_reaches_other_threads_only_after_commit():
    from django.db import transaction

    ErrorCodeFactory(code="conflict", http_status=409, message="Conflict.")
    assert registry.get("conflict").http_status == 409
    with transaction.atomic():
        row = ErrorCode.objects.get(code="conflict")
        row.http_status = 499
        row.save()
        assert registry.get("conflict").http_status == 499  # the writing thread sees its own write
        assert _status_seen_by_another_thread("conflict") == 409
    assert _status_seen_by_another_thread("conflict") == 499


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_edit_never_reaches_other_threads():
    from django.db import transaction

    ErrorCodeFactory(code="conflict", http_status=409, message="Conflict.")

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        with transaction.atomic():
            row = ErrorCode.objects.get(code="conflict")
            row.http_status = 499
            row.save()
            assert registry.get("conflict").http_status == 499
            raise Abort
    assert _status_seen_by_another_thread("conflict") == 409
    assert registry.get("conflict").http_status == 409


@pytest.mark.django_db
def test_without_a_new_stamp_a_process_reloads_after_max_staleness(settings):
    """The cache was down when the edit was published: no stamp travels, the edit still arrives."""
    ErrorCodeFactory(code="conflict", http_status=409)
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "RELOAD_INTERVAL": 0, "MAX_STALENESS": 0.2}
    assert registry.get("conflict").http_status == 409
    # Another process's edit whose stamp never reached the cache: no signal, no stamp here either.
    ErrorCode.objects.filter(code="conflict").update(http_status=499)
    assert registry.get("conflict").http_status == 409  # same stamp, not stale yet
    time.sleep(0.25)
    assert registry.get("conflict").http_status == 499
