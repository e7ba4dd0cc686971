"""System checks and the ERROR_REGISTRY settings object."""

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from errorregistry.conf import registry_settings


def check_ids():
    # databases=[]: Django 6.1's run_checks() checks every database by default; these
    # checks read settings only, and a test without the db fixture may not connect.
    return {message.id for message in run_checks(databases=[]) if message.id.startswith("errorregistry.")}


def test_configured_project_raises_no_warning(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}}
    assert check_ids() == set()


def test_missing_handler_is_reported(settings):
    settings.REST_FRAMEWORK = {}
    assert "errorregistry.W001" in check_ids()


def test_missing_middleware_is_reported(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "errorregistry" not in m]
    assert "errorregistry.W002" in check_ids()


def test_process_local_cache_without_debug_is_reported(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.DEBUG = False
    assert "errorregistry.W003" in check_ids()
    settings.DEBUG = True
    assert "errorregistry.W003" not in check_ids()


def test_settings_have_defaults_and_follow_override_settings():
    assert registry_settings.ENVELOPE == "error"
    with override_settings(ERROR_REGISTRY={"ENVELOPE": "problem"}):
        assert registry_settings.ENVELOPE == "problem"
    assert registry_settings.ENVELOPE == "error"


def test_a_misspelled_setting_fails_loudly():
    with override_settings(ERROR_REGISTRY={"ENVELOP": "problem"}):
        with pytest.raises(ImproperlyConfigured, match="ENVELOP"):
            registry_settings.ENVELOPE


@pytest.mark.parametrize("mode", ["backgroud", "", None])
def test_an_unknown_audit_mode_is_an_error(settings, mode):
    settings.ERROR_REGISTRY = dict(settings.ERROR_REGISTRY, AUDIT_MODE=mode)
    (message,) = [m for m in run_checks(databases=[]) if m.id == "errorregistry.E001"]
    assert message.is_serious() and "background" in message.hint


@pytest.mark.parametrize(
    "limit",
    [{"rate": 10}, {"rate": 0, "burst": 5}, {"rate": "10", "burst": 5}, {"rate": 1, "burst": 2, "windw": 3}, 20],
)
def test_a_flood_limit_that_cannot_work_is_an_error(settings, limit):
    settings.ERROR_REGISTRY = dict(settings.ERROR_REGISTRY, AUDIT_FLOOD_LIMIT=limit)
    assert "errorregistry.E002" in check_ids()


@pytest.mark.parametrize("limit", [None, {"rate": 20, "burst": 200}, {"rate": 0.5, "burst": 1, "window": 10}])
def test_a_working_flood_limit_passes(settings, limit):
    settings.ERROR_REGISTRY = dict(settings.ERROR_REGISTRY, AUDIT_FLOOD_LIMIT=limit)
    assert "errorregistry.E002" not in check_ids()


def postgres(max_age):
    return {"ENGINE": "django.db.backends.postgresql", "NAME": "app", "CONN_MAX_AGE": max_age}


@pytest.mark.parametrize(
    "mode, max_age, warned",
    [("inline", 0, True), ("inline", 60, False), ("inline", None, False), ("background", 0, False)],
)
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_inline_audit_on_postgres_without_persistent_connections_is_reported(settings, mode, max_age, warned):
    settings.DATABASES = dict(settings.DATABASES, audit=postgres(max_age))
    settings.ERROR_REGISTRY = dict(settings.ERROR_REGISTRY, AUDIT_MODE=mode, AUDIT_DATABASE="audit")
    assert ("errorregistry.W004" in check_ids()) is warned


def test_the_demo_keeps_its_postgres_connections():
    from project.settings import database_from_url

    database = database_from_url("postgres://postgres@127.0.0.1:5432/demo")
    assert database["CONN_MAX_AGE"] > 0 and database["CONN_HEALTH_CHECKS"] is True


def serious_ids(**overrides):
    with override_settings(ERROR_REGISTRY={**registry_settings.user_settings, **overrides}):
        return {m.id for m in run_checks(databases=[]) if m.id.startswith("errorregistry.") and m.is_serious()}


@pytest.mark.parametrize(
    "overrides, check_id",
    [
        ({"ENVELOPE": "problme"}, "errorregistry.E003"),
        ({"ENVELOPE": "nope.Formatter"}, "errorregistry.E003"),
        ({"ENVELOPE": "errorregistry.models.ErrorCode"}, "errorregistry.E003"),
        ({"KEY_STYLE": "kebab"}, "errorregistry.E004"),
        ({"OPTIONAL_MEMBERS": ["action", "retry_afterr"]}, "errorregistry.E005"),
        ({"OPTIONAL_MEMBERS": "action"}, "errorregistry.E005"),
        ({"OPTIONAL_MEMBERS": None}, "errorregistry.E005"),
        ({"CATALOG": "nope.CODES"}, "errorregistry.E006"),
        ({"EXCEPTION_CODES": {"nope.Err": "conflict"}}, "errorregistry.E007"),
        ({"EXCEPTION_CODES": {"errorregistry.models.ErrorCode": "conflict"}}, "errorregistry.E007"),
        ({"AUDIT_CONTEXT": "nope.context"}, "errorregistry.E008"),
    ],
)
def test_a_misconfiguration_that_would_break_error_responses_fails_the_checks(overrides, check_id):
    assert check_id in serious_ids(**overrides)


def test_valid_envelope_settings_and_paths_pass_the_checks():
    assert serious_ids(
        ENVELOPE="errorregistry.envelope.formatters.ProblemFormatter",
        KEY_STYLE="camel",
        OPTIONAL_MEMBERS=["action", "docs_url"],
        EXCEPTION_CODES={"builtins.KeyError": "not_found"},
    ) == set()


def wrapping_with_wraps():
    import functools

    from errorregistry.handler import exception_handler

    @functools.wraps(exception_handler)
    def handler(exc, context):
        return exception_handler(exc, context)

    return handler


@pytest.mark.parametrize(
    "handler",
    ["tests.envelope.test_drop_in.wrapping_handler", "errorregistry.handler.exception_handler", wrapping_with_wraps()],
)
def test_a_project_handler_that_wraps_ours_is_recognised(settings, handler):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "EXCEPTION_HANDLER": handler}
    assert "errorregistry.W001" not in check_ids()


@pytest.mark.parametrize("handler", ["rest_framework.views.exception_handler", "nope.handler"])
def test_a_handler_that_does_not_run_ours_is_still_reported(settings, handler):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "EXCEPTION_HANDLER": handler}
    assert "errorregistry.W001" in check_ids()
