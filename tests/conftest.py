import os

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver

from errorregistry.registry.store import registry
from errorregistry.envelope.response import _warned_unfilled_codes, _warned_unknown_codes
from tests.skip_summary import pytest_terminal_summary  # noqa: F401 - the hook, registered by name


def pytest_sessionstart(session):
    """With REDIS_URL set, an unreachable Redis fails the run instead of being skipped."""
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=2).ping()


SUITE_AUDIT_OPTIONS = ("AUDIT_MODE", "AUDIT_FLOOD_LIMIT")
SUITE_ERROR_REGISTRY = dict(settings.ERROR_REGISTRY)


@receiver(setting_changed)
def keep_the_suites_audit_mode(*, setting, value, enter, **kwargs):
    """An ``ERROR_REGISTRY`` override in a test keeps the suite's inline audit and no flood limit
    (tests/settings.py) unless it names them: a background write from a test running inside a
    transaction would land outside it. The writer's own tests name ``AUDIT_MODE``."""
    if setting == "ERROR_REGISTRY" and enter and isinstance(value, dict):
        for name in SUITE_AUDIT_OPTIONS:
            value.setdefault(name, SUITE_ERROR_REGISTRY[name])


@pytest.fixture(autouse=True)
def audit_writer_stopped():
    """No test leaves the background writer running (or holding a database connection)."""
    yield
    from errorregistry.audit.writer import writer

    assert writer.shutdown(timeout=10), "the audit writer did not settle within 10 s"


@pytest.fixture(autouse=True)
def fresh_registry():
    """Each test starts with an empty in-memory registry and shared version stamp."""
    registry.invalidate()
    caches["default"].clear()
    _warned_unknown_codes.clear()
    _warned_unfilled_codes.clear()
    yield
    registry.invalidate()


@pytest.fixture(autouse=True)
def no_language_left_active():
    """LocaleMiddleware (and ``translation.activate``) leave the thread's language set: each test
    starts from ``LANGUAGE_CODE``, whatever the one before it spoke."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient(raise_request_exception=False)


@pytest.fixture
def support_client(db):
    """A staff member who may read the audit (``view_errorevent``): what support uses."""
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="agent", is_staff=True, permissions=["errorregistry.view_errorevent"]))
    return client


@pytest.fixture
def synced(db):
    """The declared catalog (built-ins + demo codes) synced into the database."""
    from errorregistry.registry.sync import sync

    sync()
    registry.invalidate()


@pytest.fixture
def atomic_requests():
    """ATOMIC_REQUESTS on the default connection for one test (restored afterwards)."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    previous = settings_dict.get("ATOMIC_REQUESTS", False)
    settings_dict["ATOMIC_REQUESTS"] = True
    yield
    settings_dict["ATOMIC_REQUESTS"] = previous
