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
