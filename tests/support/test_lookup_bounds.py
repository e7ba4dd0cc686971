"""A lookup by a request ID this server minted is bounded by the moment the ID carries, so a table
partitioned by ``created_at`` reads one or two partitions; any other ID is found by its index alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from errorregistry.request_id import minted_at, new_request_id
from tests.factories import ErrorEventFactory

pytestmark = pytest.mark.django_db

SEARCH_URL = "/admin/errorregistry/supportconsole/"


def event_lookups(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if 'FROM "errorregistry_errorevent"' in q["sql"]]


def test_a_minted_id_lookup_names_a_time_range_around_the_ids_own_moment(support_client):
    request_id = new_request_id()
    event = ErrorEventFactory(request_id=request_id, created_at=minted_at(request_id) + timedelta(seconds=2))

    with CaptureQueriesContext(connection) as captured:
        response = support_client.get(SEARCH_URL, {"q": request_id})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:errorregistry_support_event", args=[event.pk])
    (lookup,) = event_lookups(captured)
    assert '"request_id" =' in lookup and '"created_at" >=' in lookup and '"created_at" <' in lookup


def test_an_event_stored_long_after_its_id_was_minted_is_outside_the_bound(support_client):
    request_id = new_request_id()
    ErrorEventFactory(request_id=request_id, created_at=minted_at(request_id) + timedelta(hours=2))

    response = support_client.get(SEARCH_URL, {"q": request_id})

    assert response.status_code == 200  # not found: no request runs for two hours before it answers


def test_a_client_supplied_id_is_looked_up_by_its_index_without_a_time_bound(support_client):
    event = ErrorEventFactory(client_request_id="checkout-42", created_at=minted_at(new_request_id()) - timedelta(days=40))

    with CaptureQueriesContext(connection) as captured:
        text = support_client.get(SEARCH_URL, {"q": "checkout-42"}).content.decode()

    assert reverse("admin:errorregistry_support_event", args=[event.pk]) in text
    assert all('"created_at" >=' not in sql.split("ORDER BY")[0] for sql in event_lookups(captured))


@override_settings(ERROR_REGISTRY=dict(django_settings.ERROR_REGISTRY, TRUST_INBOUND_REQUEST_ID=True))
def test_adopted_ids_carry_a_timestamp_the_client_chose_and_are_not_bounded(support_client):
    adopted = "req_01HZZZZZZZZZZZZZZZZZZZZZZZ"  # a valid ULID from another clock
    event = ErrorEventFactory(request_id=adopted)

    response = support_client.get(SEARCH_URL, {"q": adopted})

    assert response["Location"] == reverse("admin:errorregistry_support_event", args=[event.pk])
