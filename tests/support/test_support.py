"""The support console inside the admin: permissions, lookup, event page, list, chart, escaping."""

import csv
import io
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from errorregistry.support import queries as support_queries
from errorregistry.models import ErrorCode, ErrorEvent
from tests.factories import ErrorCodeFactory, ErrorEventFactory, UserFactory

pytestmark = pytest.mark.django_db

PERM = "errorregistry.view_errorevent"
SEARCH_URL = "/admin/errorregistry/supportconsole/"
XSS = "<script>alert(1)</script>"


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return [dict(zip(header, header))] + [dict(zip(header, row)) for row in reader]


def support_url(page: str, event: ErrorEvent) -> str:
    if page == "search":
        return reverse("admin:errorregistry_supportconsole_changelist")
    if page == "event":
        return reverse("admin:errorregistry_support_event", args=[event.pk])
    return reverse(f"admin:errorregistry_support_{page}")


def event_url(event: ErrorEvent) -> str:
    return support_url("event", event)


def events_url(**params: str) -> str:
    return reverse("admin:errorregistry_support_events") + ("?" + urlencode(params) if params else "")


def chart_url(window: str = "24h") -> str:
    return events_url(window=window)


def export_url(**params: str) -> str:
    return reverse("admin:errorregistry_support_export") + ("?" + urlencode(params) if params else "")


USER_KINDS = {
    "anonymous": None,
    "non_staff_with_permission": {"is_staff": False, "permissions": [PERM]},
    "staff_without_permission": {"is_staff": True},
    "staff_with_permission": {"is_staff": True, "permissions": [PERM]},
    "superuser": {"is_staff": True, "is_superuser": True},
}
PAGES = ["search", "events", "event", "export", "chart"]


def client_for(kind: str) -> Client:
    client = Client()
    attrs = USER_KINDS[kind]
    if attrs is not None:
        client.force_login(UserFactory(username=kind, **attrs))
    return client


@pytest.fixture
def support_client() -> Client:
    return client_for("staff_with_permission")


@pytest.fixture
def event() -> ErrorEvent:
    return ErrorEventFactory()


# -- permissions ----------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("kind", ["anonymous", "non_staff_with_permission"])
def test_anonymous_and_non_staff_users_are_sent_to_the_admin_login(kind, page, event):
    url = support_url(page, event)

    response = client_for(kind).get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_staff_without_view_errorevent_are_forbidden(page, event):
    response = client_for("staff_without_permission").get(support_url(page, event))

    assert response.status_code == 403


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("kind", ["staff_with_permission", "superuser"])
def test_staff_with_view_errorevent_and_superusers_see_every_page(kind, page, event):
    response = client_for(kind).get(support_url(page, event))

    if page == "chart":  # the chart's old page now sits above the list
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:errorregistry_support_events")
    elif page == "export":
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert event.request_id in b"".join(response.streaming_content).decode()
    else:
        assert response.status_code == 200
        assert b"Look up a request ID" in response.content  # the console's navigation


def test_the_admin_index_links_to_the_support_console_for_users_with_the_permission(support_client):
    response = support_client.get(reverse("admin:index"))

    assert f'href="{SEARCH_URL}"'.encode() in response.content


def test_the_admin_index_hides_the_support_console_from_staff_without_the_permission():
    response = client_for("staff_without_permission").get(reverse("admin:index"))

    assert SEARCH_URL.encode() not in response.content


def test_the_support_console_changelist_is_the_search_page(support_client):
    response = support_client.get(SEARCH_URL)

    assert response.status_code == 200
    assert response.templates[0].name == "errorregistry/support/search.html"


def test_the_support_console_has_no_add_page(support_client):
    response = support_client.get(SEARCH_URL + "add/")

    assert response.status_code == 404


def test_a_post_without_a_csrf_token_is_refused(event):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="csrf", is_staff=True, permissions=[PERM]))

    response = client.post(SEARCH_URL, {"q": event.request_id})

    assert response.status_code == 403
    assert b"CSRF" in response.content


@pytest.mark.parametrize("page", PAGES)
def test_support_pages_only_answer_get(page, event, support_client):
    response = support_client.post(support_url(page, event), {"q": event.request_id})

    assert response.status_code == 405


# -- lookup ---------------------------------------------------------------------


@pytest.mark.parametrize("pasted", [" '{id}'. ", '"{id}"', "{id}.", "  {id}\n", "`{id}`,"])
def test_lookup_forgives_spaces_quotes_and_a_trailing_period(pasted, event, support_client):
    response = support_client.get(SEARCH_URL, {"q": pasted.format(id=event.request_id)})

    assert response.status_code == 302
    assert response["Location"] == event_url(event)


def test_lookup_forgives_a_lower_cased_request_id(event, support_client):
    response = support_client.get(SEARCH_URL, {"q": event.request_id.lower()})

    assert response["Location"] == event_url(event)


def test_lookup_finds_a_request_id_inside_a_pasted_header_line(event, support_client):
    response = support_client.get(SEARCH_URL, {"q": f"X-Request-Id: {event.request_id}"})

    assert response["Location"] == event_url(event)


def test_lookup_lists_a_match_on_the_clients_own_id_and_says_so_instead_of_opening_it(support_client):
    event = ErrorEventFactory(client_request_id="checkout-42")

    response = support_client.get(SEARCH_URL, {"q": " checkout-42 "})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Matched a client-supplied ID, not one of our request IDs." in text
    assert "client-supplied ID</span>" in text
    assert event_url(event) in text


def test_a_planted_request_id_never_redirects_to_the_attackers_event(support_client):
    # A client sent X-Request-Id: req_<...>; it is stored as its client ID, and no real event has that ID.
    planted = "req_01HZZZZZZZZZZZZZZZZZZZZZZZ"
    attacker = ErrorEventFactory(client_request_id=planted, path="/api/attacker/")

    response = support_client.get(SEARCH_URL, {"q": planted})

    assert response.status_code == 200
    assert "client-supplied ID</span>" in response.content.decode()
    assert "request ID</span>" not in response.content.decode().replace("client-supplied ID</span>", "")
    assert event_url(attacker) in response.content.decode()


def test_a_minted_request_id_wins_over_a_client_supplied_copy_of_it(support_client):
    real = ErrorEventFactory()
    ErrorEventFactory(client_request_id=real.request_id)

    response = support_client.get(SEARCH_URL, {"q": real.request_id})

    assert response.status_code == 302
    assert response["Location"] == event_url(real)


def test_search_results_say_which_id_matched(support_client):
    ErrorEventFactory.create_batch(2, client_request_id="shared")

    text = support_client.get(SEARCH_URL, {"q": "shared"}).content.decode()

    assert text.count('<span class="support-badge supplied">client-supplied ID</span>') == 2


def test_lookup_lists_every_error_sharing_a_client_correlation_id(support_client):
    first, second = ErrorEventFactory.create_batch(2, client_request_id="retry-me")

    response = support_client.get(SEARCH_URL, {"q": "retry-me"})

    assert response.status_code == 200
    assert b"2 errors match this ID" in response.content
    assert first.request_id.encode() in response.content
    assert second.request_id.encode() in response.content


def test_lookup_of_an_unknown_id_says_nothing_was_recorded_and_why(support_client):
    response = support_client.get(SEARCH_URL, {"q": " 'req_01HZZZZZZZZZZZZZZZZZZZZZZZ'. "})

    assert response.status_code == 200
    text = response.content.decode()
    assert "No error was recorded for this ID: req_01HZZZZZZZZZZZZZZZZZZZZZZZ" in text
    assert "Successful requests are not recorded" in text


def test_lookup_of_an_empty_paste_asks_for_an_id(support_client):
    response = support_client.get(SEARCH_URL, {"q": "   "})

    assert response.status_code == 200
    assert b"This field is required" in response.content


def test_lookup_is_an_indexed_equality_query(event, support_client):
    with CaptureQueriesContext(connection) as ctx:
        support_client.get(SEARCH_URL, {"q": event.request_id})

    event_queries = [q["sql"] for q in ctx.captured_queries if "errorregistry_errorevent" in q["sql"]]
    assert len(event_queries) == 1
    assert '"request_id" =' in event_queries[0] and '"created_at" >=' in event_queries[0]  # see test_lookup_bounds


# -- event page -----------------------------------------------------------------


def test_event_page_shows_what_the_client_received(support_client):
    event = ErrorEventFactory(
        code="insufficient_credits",
        http_status=402,
        message="Your balance is too low.",
        user_id="7",
        user_name="ada",
        client_request_id="mobile-1",
        details={"balance": 3, "required": 10},
        context={"workspace": "acme"},
    )

    text = support_client.get(event_url(event)).content.decode()

    for expected in (event.request_id, "mobile-1", "insufficient_credits", "402", "Your balance is too low.", "ada"):
        assert expected in text
    assert "&quot;balance&quot;: 3" in text
    assert "&quot;workspace&quot;: &quot;acme&quot;" in text


def test_event_page_shows_the_registry_entry_as_it_is_now(support_client):
    ErrorCodeFactory(
        code="quota_exceeded",
        http_status=429,
        message="You used your monthly quota.",
        action="Upgrade your plan.",
        docs_url="https://docs.example.com/errors/quota",
    )
    event = ErrorEventFactory(code="quota_exceeded", http_status=429, message="An older wording.")

    text = support_client.get(event_url(event)).content.decode()

    assert "An older wording." in text
    assert "You used your monthly quota." in text
    assert "Upgrade your plan." in text
    assert '<a href="https://docs.example.com/errors/quota"' in text


def test_event_page_says_when_the_code_is_no_longer_in_the_registry(support_client):
    event = ErrorEventFactory(code="long_gone_code")

    response = support_client.get(event_url(event))

    assert b"not in the registry any more" in response.content


def test_event_page_shows_the_traceback_of_a_server_error_to_who_may_see_tracebacks():
    support_client = Client()
    support_client.force_login(
        UserFactory(username="traceback_reader", is_staff=True, permissions=[PERM, "errorregistry.view_traceback"])
    )
    event = ErrorEventFactory(
        code="internal_error",
        http_status=500,
        exception_class="builtins.RuntimeError",
        traceback='Traceback (most recent call last):\n  File "views.py", line 3\nRuntimeError: boom',
    )

    text = support_client.get(event_url(event)).content.decode()

    assert 'id="support-traceback"' in text
    assert "RuntimeError: boom" in text
    assert "builtins.RuntimeError" in text


@pytest.mark.parametrize("kind", ["staff_with_permission"])
def test_event_page_hides_the_traceback_from_support_staff_without_the_traceback_permission(kind):
    event = ErrorEventFactory(
        code="internal_error",
        http_status=500,
        exception_class="builtins.RuntimeError",
        traceback="Traceback (most recent call last):\nRuntimeError: secret=s3cr3t",
    )
    text = client_for(kind).get(event_url(event)).content.decode()
    assert "s3cr3t" not in text and 'id="support-traceback"' not in text
    assert "builtins.RuntimeError" in text  # the class is still listed


def test_superusers_see_tracebacks():
    event = ErrorEventFactory(http_status=500, traceback="Traceback (most recent call last):\nRuntimeError: boom")
    assert "RuntimeError: boom" in client_for("superuser").get(event_url(event)).content.decode()


def test_event_page_shows_no_traceback_for_a_client_error(support_client):
    event = ErrorEventFactory(http_status=400, traceback="Traceback: should not be shown")

    text = support_client.get(event_url(event)).content.decode()

    assert "should not be shown" not in text


def test_event_page_lists_the_same_users_other_errors_within_an_hour(support_client):
    now = timezone.now()
    event = ErrorEventFactory(user_id="42", created_at=now)
    nearby = ErrorEventFactory(user_id="42", created_at=now - timedelta(minutes=20))
    long_before = ErrorEventFactory(user_id="42", created_at=now - timedelta(hours=5))
    someone_else = ErrorEventFactory(user_id="43", created_at=now)

    response = support_client.get(event_url(event))

    assert response.context["same_user"] == [nearby]
    assert long_before.request_id not in response.content.decode()
    assert someone_else not in response.context["same_user"]
    assert "user=42" in response.context["same_user_url"]


def test_event_page_lists_the_same_codes_other_errors_within_an_hour(support_client):
    now = timezone.now()
    event = ErrorEventFactory(code="not_found", created_at=now)
    nearby = ErrorEventFactory(code="not_found", created_at=now + timedelta(minutes=30))
    other_code = ErrorEventFactory(code="throttled", created_at=now)

    response = support_client.get(event_url(event))

    assert response.context["same_code"] == [nearby]
    assert other_code.request_id not in response.content.decode()
    assert "code=not_found" in response.context["same_code_url"]


def test_event_page_shows_the_response_rebuilt_by_the_configured_envelope_and_says_so(support_client, synced):
    event = ErrorEventFactory(
        code="insufficient_credits",
        http_status=402,
        message="Not enough credits: 3 left, 10 needed.",
        language="en",
        details={"balance": 3, "required": 10},
    )

    response = support_client.get(event_url(event))
    text = response.content.decode()

    assert "As rendered now from the stored event" in text
    shown = response.context["response"]
    assert shown.status_line == "HTTP/1.1 402 Payment Required"
    assert ("X-Request-Id", event.request_id) in shown.headers
    assert ("Content-Type", "application/json; charset=utf-8") in shown.headers
    assert json.loads(shown.body) == {
        "error": {
            "code": "insufficient_credits",
            "message": "Not enough credits: 3 left, 10 needed.",
            "request_id": event.request_id,
            "details": {"balance": 3, "required": 10},
        }
    }


def test_event_page_response_follows_the_configured_preset(support_client, settings):
    settings.ERROR_REGISTRY = {**settings.ERROR_REGISTRY, "ENVELOPE": "problem"}
    event = ErrorEventFactory(details={"errors": [{"field": "email", "code": "invalid", "message": "Bad."}]})

    shown = support_client.get(event_url(event)).context["response"]

    body = json.loads(shown.body)
    assert body["status"] == 400 and body["instance"] == event.path
    assert body["errors"] == [{"field": "email", "code": "invalid", "message": "Bad."}]
    assert ("Content-Type", "application/problem+json; charset=utf-8") in shown.headers


def test_event_page_links_to_the_code_for_those_who_may_edit_it(synced):
    event = ErrorEventFactory(code="insufficient_credits")
    editor = Client()
    editor.force_login(UserFactory(username="editor", is_staff=True, permissions=[PERM, "errorregistry.change_errorcode"]))
    row_url = reverse("admin:errorregistry_errorcode_change", args=[ErrorCode.objects.get(code="insufficient_credits").pk])

    assert f'href="{row_url}"' in editor.get(event_url(event)).content.decode()
    assert row_url not in client_for("staff_with_permission").get(event_url(event)).content.decode()


def test_event_page_holds_no_edit_link_for_a_code_missing_from_the_database(db):
    editor = Client()
    editor.force_login(UserFactory(username="editor2", is_staff=True, is_superuser=True))
    event = ErrorEventFactory(code="gone_code")

    assert editor.get(event_url(event)).context["edit_code_url"] == ""


def test_event_page_of_an_unknown_event_is_404(support_client):
    response = support_client.get(reverse("admin:errorregistry_support_event", args=[999999]))

    assert response.status_code == 404


# -- escaping -------------------------------------------------------------------


@pytest.fixture
def hostile_event() -> ErrorEvent:
    return ErrorEventFactory(
        code="hostile",
        message=f"Bad {XSS}",
        path=f"/api/{XSS}/",
        user_agent=XSS,
        user_id="9",
        user_name=XSS,
        details={"field": XSS, XSS: "key"},
        context={"note": XSS},
        http_status=500,
        traceback=f"RuntimeError: {XSS}",
    )


def assert_escaped(content: bytes) -> None:
    text = content.decode()
    assert XSS not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_event_page_escapes_everything_stored(hostile_event, support_client):
    assert_escaped(support_client.get(event_url(hostile_event)).content)


def test_recent_errors_list_escapes_everything_stored(hostile_event, support_client):
    assert_escaped(support_client.get(events_url()).content)


def test_search_page_escapes_the_pasted_text(support_client):
    assert_escaped(support_client.get(SEARCH_URL, {"q": XSS}).content)


def test_chart_and_top_codes_escape_a_stored_code(support_client):
    ErrorEventFactory(code=XSS)

    assert_escaped(support_client.get(chart_url()).content)


def test_export_neutralises_spreadsheet_formulas(support_client):
    ErrorEventFactory(
        code="=HYPERLINK(\"http://evil\")", message="+1+1", user_name="@SUM(A1)", path="-2", user_agent="\tcmd",
        client_request_id="\rx", query_string="a=1", user_id="",
    )

    rows = csv_rows(support_client.get(export_url()))

    row = rows[1]
    assert row["code"] == "'=HYPERLINK(\"http://evil\")"
    assert row["message"] == "'+1+1"
    assert row["user_name"] == "'@SUM(A1)"
    assert row["path"] == "'-2"
    assert row["user_agent"] == "'\tcmd"
    assert row["client_request_id"] == "'\rx"
    assert row["query_string"] == "a=1"


def test_a_docs_url_that_is_not_http_is_not_a_link(support_client):
    ErrorCodeFactory(code="sneaky", docs_url="javascript:alert(1)")
    event = ErrorEventFactory(code="sneaky")

    text = support_client.get(event_url(event)).content.decode()

    assert 'href="javascript:' not in text


# -- recent errors: filters and keyset paging -----------------------------------


def listed(response) -> list[str]:
    return [event.request_id for event in response.context["page"].events]


def test_recent_errors_filter_by_code(support_client):
    wanted = ErrorEventFactory(code="not_found")
    ErrorEventFactory(code="throttled")

    assert listed(support_client.get(events_url(code="not_found"))) == [wanted.request_id]


def test_recent_errors_filter_by_status_class(support_client):
    server = ErrorEventFactory(http_status=503)
    client_error = ErrorEventFactory(http_status=404)

    assert listed(support_client.get(events_url(status="5xx"))) == [server.request_id]
    assert listed(support_client.get(events_url(status="4xx"))) == [client_error.request_id]


@pytest.mark.parametrize(
    ("since", "age", "included"),
    [
        ("1h", timedelta(minutes=50), True),
        ("1h", timedelta(minutes=70), False),
        ("24h", timedelta(hours=23), True),
        ("24h", timedelta(hours=25), False),
        ("7d", timedelta(days=6), True),
        ("7d", timedelta(days=8), False),
        ("30d", timedelta(days=29), True),
        ("30d", timedelta(days=31), False),
    ],
)
def test_recent_errors_filter_by_time_window(since, age, included, support_client):
    event = ErrorEventFactory(created_at=timezone.now() - age)

    assert (event.request_id in listed(support_client.get(events_url(since=since)))) is included


def test_recent_errors_filter_by_user_id(support_client):
    mine = ErrorEventFactory(user_id="42")
    ErrorEventFactory(user_id="420")
    ErrorEventFactory(user_id="")

    assert listed(support_client.get(events_url(user="42"))) == [mine.request_id]


def test_recent_errors_reject_an_unknown_status_class(support_client):
    ErrorEventFactory()

    response = support_client.get(events_url(status="3xx"))

    assert listed(response) == []
    assert response.context["form"].errors


def test_recent_errors_never_count_or_distinct_the_table(support_client):
    ErrorEventFactory.create_batch(3)

    with CaptureQueriesContext(connection) as ctx:
        support_client.get(events_url(code="validation_error", status="4xx", since="7d", user="1"))
        support_client.get(events_url())

    queries = [q["sql"].upper() for q in ctx.captured_queries if "ERRORREGISTRY_ERROREVENT" in q["sql"].upper()]
    counts = [sql for sql in queries if "COUNT(" in sql]
    # The only counts are the chart's and the top codes' GROUP BYs, each bounded to its time window.
    assert counts
    assert all("GROUP BY" in sql and '"CREATED_AT" >=' in sql for sql in counts)
    assert not any("DISTINCT" in sql or "OFFSET" in sql for sql in queries)


def test_recent_errors_page_by_keyset_through_every_event_once(monkeypatch, support_client):
    monkeypatch.setattr(support_queries, "PAGE_SIZE", 2)
    now = timezone.now()
    # Two events share a timestamp: the id breaks the tie.
    events = [ErrorEventFactory(created_at=now - timedelta(minutes=m)) for m in (1, 2, 2, 3, 4)]
    expected = [e.request_id for e in sorted(events, key=lambda e: (e.created_at, e.pk), reverse=True)]

    seen, url, pages = [], events_url(), 0
    while url:
        response = support_client.get(url)
        seen += listed(response)
        url = response.context["older_url"]
        pages += 1

    assert seen == expected
    assert pages == 3


def test_recent_errors_newer_link_returns_to_the_previous_page(monkeypatch, support_client):
    monkeypatch.setattr(support_queries, "PAGE_SIZE", 2)
    now = timezone.now()
    for minutes in range(1, 8):
        ErrorEventFactory(created_at=now - timedelta(minutes=minutes))
    first = support_client.get(events_url())
    second = support_client.get(first.context["older_url"])
    third = support_client.get(second.context["older_url"])

    back = support_client.get(third.context["newer_url"])

    assert listed(back) == listed(second)
    assert listed(support_client.get(back.context["newer_url"])) == listed(first)


def test_recent_errors_paging_keeps_the_filters(monkeypatch, support_client):
    monkeypatch.setattr(support_queries, "PAGE_SIZE", 1)
    ErrorEventFactory.create_batch(2, code="not_found")
    ErrorEventFactory(code="throttled")

    first = support_client.get(events_url(code="not_found"))
    second = support_client.get(first.context["older_url"])

    assert "code=not_found" in first.context["older_url"]
    assert second.context["older_url"] == ""
    assert len(listed(second)) == 1


def test_a_malformed_cursor_shows_the_first_page(support_client):
    event = ErrorEventFactory()

    response = support_client.get(events_url(older="not-a-cursor"))

    assert listed(response) == [event.request_id]


# -- chart ----------------------------------------------------------------------


def test_chart_is_inline_svg_with_every_top_code(support_client):
    now = timezone.now()
    ErrorEventFactory.create_batch(3, code="not_found", created_at=now)
    ErrorEventFactory(code="throttled", created_at=now - timedelta(hours=2))

    svg = str(support_client.get(chart_url("24h")).context["svg"])

    assert svg.startswith("<svg")
    assert 'data-code="not_found"' in svg
    assert 'data-code="throttled"' in svg
    assert "not_found (3)" in svg
    assert "<script" not in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no external asset


def test_chart_by_day_counts_the_last_seven_days(support_client):
    now = timezone.now()
    ErrorEventFactory(code="not_found", created_at=now - timedelta(days=3))
    ErrorEventFactory(code="too_old", created_at=now - timedelta(days=9))

    svg = str(support_client.get(chart_url("7d")).context["svg"])

    assert 'data-code="not_found"' in svg
    assert "too_old" not in svg


def test_chart_groups_codes_beyond_the_top_ones(support_client):
    now = timezone.now()
    for i in range(8):
        ErrorEventFactory.create_batch(8 - i, code=f"code_{i}", created_at=now)

    svg = str(support_client.get(chart_url()).context["svg"])

    assert 'data-code="code_0"' in svg
    assert 'data-code="code_7"' not in svg
    assert "other codes (3)" in svg  # code_6 (2) + code_7 (1)


def test_chart_says_so_when_nothing_was_recorded(support_client):
    text = support_client.get(chart_url()).content.decode()

    assert "No errors were recorded in this period." in text


# -- the audit trail's admin: one list, not two ------------------------------------


def test_error_event_changelist_redirects_to_the_support_list(support_client):
    response = support_client.get(reverse("admin:errorregistry_errorevent_changelist"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:errorregistry_support_events")


def test_error_event_changelist_search_goes_to_the_support_lookup(support_client, event):
    response = support_client.get(reverse("admin:errorregistry_errorevent_changelist"), {"q": event.request_id})

    assert response["Location"] == SEARCH_URL + "?" + urlencode({"q": event.request_id})


def test_error_event_change_page_redirects_to_the_support_event_page(support_client, event):
    response = support_client.get(reverse("admin:errorregistry_errorevent_change", args=[event.pk]))

    assert response["Location"] == event_url(event)


def test_error_event_admin_stays_forbidden_without_the_permission(event):
    client = client_for("staff_without_permission")

    assert client.get(reverse("admin:errorregistry_errorevent_changelist")).status_code == 403
    assert client.get(reverse("admin:errorregistry_errorevent_change", args=[event.pk])).status_code == 403


def test_the_admin_index_lists_the_support_console_once(support_client):
    text = support_client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:errorregistry_errorevent_changelist") not in text
    assert SEARCH_URL in text


def test_error_events_cannot_be_added_changed_or_deleted(support_client, event):
    assert support_client.get(reverse("admin:errorregistry_errorevent_add")).status_code == 403
    support_client.post(reverse("admin:errorregistry_errorevent_change", args=[event.pk]), {"code": "x"})
    event.refresh_from_db()
    assert event.code != "x"
    support_client.post(reverse("admin:errorregistry_errorevent_delete", args=[event.pk]), {"post": "yes"})
    assert ErrorEvent.objects.filter(pk=event.pk).exists()
