"""``AUDIT_SINKS``: events go to the database, to the ``errorregistry.audit.events`` log as one JSON
line each, or both; the support console says when the database gets none."""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings

from errorregistry import flush_audit
from errorregistry.checks import check_audit
from errorregistry.conf import registry_settings
from errorregistry.models import ErrorCount, ErrorEvent
from tests.factories import UserFactory

ACCOUNT = "/api/demo/account/"  # 401 not_authenticated for an anonymous client
SEARCH_URL = "/admin/errorregistry/supportconsole/"
EVENTS_URL = "/admin/errorregistry/supportconsole/events/"
EVENTS_LOGGER = "errorregistry.audit.events"


def audit(**options) -> dict:
    return dict(django_settings.ERROR_REGISTRY, **options)


def sink_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == EVENTS_LOGGER]


@pytest.mark.django_db(transaction=True)
@override_settings(ERROR_REGISTRY=audit(AUDIT_MODE="background", AUDIT_SINKS=["log"]))
def test_the_log_sink_alone_logs_each_event_as_one_json_line_and_stores_nothing(caplog):
    with caplog.at_level(logging.INFO, logger=EVENTS_LOGGER):
        responses = [Client().get(ACCOUNT) for _ in range(3)]
        assert flush_audit()

    lines = sink_lines(caplog)
    assert [line["request_id"] for line in lines] == [r["X-Request-Id"] for r in responses]
    assert {(line["code"], line["http_status"]) for line in lines} == {("not_authenticated", 401)}
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == EVENTS_LOGGER)
    assert not ErrorEvent.objects.exists() and not ErrorCount.objects.exists()
    # The failure log stays quiet: nothing failed.
    assert not [r for r in caplog.records if r.name == "errorregistry.audit"]


@pytest.mark.django_db(transaction=True)
@override_settings(ERROR_REGISTRY=audit(AUDIT_MODE="background", AUDIT_SINKS=["database", "log"]))
def test_both_sinks_store_the_event_and_log_it(caplog):
    with caplog.at_level(logging.INFO, logger=EVENTS_LOGGER):
        response = Client().get(ACCOUNT)
        assert flush_audit()

    assert [line["request_id"] for line in sink_lines(caplog)] == [response["X-Request-Id"]]
    assert ErrorEvent.objects.filter(request_id=response["X-Request-Id"]).exists()
    assert ErrorCount.objects.get(code="not_authenticated").count == 1


@pytest.mark.django_db(transaction=True)
def test_the_default_database_sink_logs_nothing(caplog):
    assert registry_settings.AUDIT_SINKS == ["database"]
    with caplog.at_level(logging.INFO, logger=EVENTS_LOGGER):
        response = Client().get(ACCOUNT)
        assert flush_audit()

    assert sink_lines(caplog) == []
    assert ErrorEvent.objects.filter(request_id=response["X-Request-Id"]).exists()


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY=audit(AUDIT_MODE="inline", AUDIT_SINKS=["log"]))
def test_inline_mode_logs_before_the_response_leaves(caplog):
    with caplog.at_level(logging.INFO, logger=EVENTS_LOGGER):
        response = Client().get(ACCOUNT)

    assert [line["request_id"] for line in sink_lines(caplog)] == [response["X-Request-Id"]]
    assert not ErrorEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [SEARCH_URL, EVENTS_URL])
def test_the_support_console_says_when_the_database_sink_is_off(url):
    client = Client()
    client.force_login(UserFactory(username="agent", is_staff=True, is_superuser=True))

    assert 'id="support-database-sink-off"' not in client.get(url).content.decode()
    with override_settings(ERROR_REGISTRY=audit(AUDIT_SINKS=["log"])):
        text = client.get(url).content.decode()
    assert 'id="support-database-sink-off"' in text
    assert "errorregistry.audit.events" in text


@pytest.mark.parametrize("sinks", [[], ["db"], "database", ["log", "kafka"]])
def test_unknown_or_empty_sinks_are_a_system_check_error(sinks):
    with override_settings(ERROR_REGISTRY=audit(AUDIT_SINKS=sinks)):
        ids = [message.id for message in check_audit(registry_settings)]
    assert "errorregistry.E009" in ids


@pytest.mark.parametrize("sinks", [["database"], ["log"], ["database", "log"]])
def test_valid_sinks_pass_the_check(sinks):
    with override_settings(ERROR_REGISTRY=audit(AUDIT_SINKS=sinks)):
        ids = [message.id for message in check_audit(registry_settings)]
    assert "errorregistry.E009" not in ids
