import os

import pytest
from django.core.cache import caches

from errorregistry.registry import registry
from errorregistry.rendering import _warned_unknown_codes
from tests.skip_summary import pytest_terminal_summary  # noqa: F401 - the hook, registered by name


def pytest_sessionstart(session):
    """With REDIS_URL set, an unreachable Redis fails the run instead of being skipped."""
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=2).ping()


@pytest.fixture(autouse=True)
def fresh_registry():
    """Each test starts with an empty in-memory registry and shared version stamp."""
    registry.invalidate()
    caches["default"].clear()
    _warned_unknown_codes.clear()
    yield
    registry.invalidate()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient(raise_request_exception=False)


@pytest.fixture
def synced(db):
    """The declared catalog (built-ins + demo codes) synced into the database."""
    from errorregistry.sync import sync

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
