"""A named list of hostile inputs, each with the code and status it must get, and nothing worse.

Every case also checks the whole contract: a schema-valid envelope, the
response's X-Request-Id equal to the body's (and minted here), and an audit row
with that request ID and code (on PostgreSQL too, which refuses NUL bytes).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import jsonschema
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import include, path
from rest_framework.decorators import api_view

from errorregistry import ApiError
from errorregistry.models import ErrorCode, ErrorEvent
from errorregistry.request_id import is_minted_request_id
from errorregistry.schemas import envelope_schema


@api_view(["GET"])
def raise_unknown_code(request):
    raise ApiError("no_such_code", details={"hint": "not in the registry"})


urlpatterns = [
    path("api/hostile/unknown-code/", raise_unknown_code),
    path("", include(django_settings.ROOT_URLCONF)),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

ORDERS = "/api/demo/orders/"
ACCOUNT = "/api/demo/account/"  # requires authentication: 401 not_authenticated
TEN_KB = 10 * 1024


@dataclass
class Hostile:
    """One hostile request: what to send, the code and status it must get, and any extra check."""

    name: str
    path: str
    code: str
    status: int
    method: str = "GET"
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    check: Callable[[object, dict, ErrorEvent], None] | None = None

    def send(self):
        client = Client(raise_request_exception=False)
        kwargs = {"headers": self.headers}
        if self.body is not None:
            kwargs.update(data=self.body, content_type=self.content_type)
        return client.generic(self.method, self.path, **kwargs)


def field_error(field_name: str, code: str):
    def check(response, error, event):
        assert {"field": field_name, "code": code} in [
            {"field": e["field"], "code": e["code"]} for e in error["details"]["errors"]
        ]

    return check


def request_id_replaced(inbound: str):
    def check(response, error, event):
        assert response["X-Request-Id"] != inbound
        assert event.client_request_id == ""

    return check


def content_language(language: str):
    def check(response, error, event):
        assert response["Content-Language"] == language

    return check


def stored_path_without_nul(response, error, event):
    assert "\x00" not in event.path and event.path.startswith("/api/demo/nope")


def over_limit() -> bytes:
    padding = b"a" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    return b'{"email": "' + padding + b'"}'


HOSTILE_INPUTS = [
    Hostile("malformed JSON", ORDERS, "invalid_request", 400, "POST", b'{"items": [{"sku": '),
    Hostile("JSON with a trailing comma", ORDERS, "invalid_request", 400, "POST", b'{"email": "a@b.c",}'),
    Hostile("wrong content type", ORDERS, "unsupported_media_type", 415, "POST", b"<order/>", "application/xml"),
    Hostile("text/plain body", ORDERS, "unsupported_media_type", 415, "POST", b"email=a", "text/plain"),
    Hostile("JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE", ORDERS, "request_too_large", 413, "POST", over_limit()),
    Hostile(
        "form body over DATA_UPLOAD_MAX_MEMORY_SIZE",
        # Teams: orders take JSON only (nested lists cannot travel as a form).
        "/api/demo/teams/", "request_too_large", 413, "POST", b"name=" + b"a" * 2_700_000,
        "application/x-www-form-urlencoded",
    ),
    Hostile("JSON arrays nested 10,000 deep", ORDERS, "invalid_request", 400, "POST", b"[" * 10_000 + b"]" * 10_000),
    Hostile(
        "JSON objects nested 10,000 deep",
        ORDERS, "invalid_request", 400, "POST", b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    ),
    Hostile("invalid UTF-8", ORDERS, "invalid_request", 400, "POST", b'{"email": "\xff\xfe\xc3("}'),
    Hostile("raw NUL byte in the JSON", ORDERS, "invalid_request", 400, "POST", b'{"email": "a\x00b"}'),
    Hostile(
        "escaped NUL in a field",
        ORDERS, "validation_error", 400, "POST", b'{"email": "a\\u0000b@example.com"}',
        check=field_error("email", "null_characters_not_allowed"),
    ),
    Hostile(
        "NUL in a choice echoed by the message",
        ORDERS, "validation_error", 400, "POST",
        b'{"connector": {"name": "n", "config": {"api_key": "12345678", "region": "e\\u0000u"}}}',
        check=field_error("connector.config.region", "invalid_choice"),
    ),
    Hostile(
        "lone surrogate echoed by the message",
        ORDERS, "validation_error", 400, "POST",
        b'{"connector": {"name": "n", "config": {"api_key": "12345678", "region": "\\ud800"}}}',
        check=field_error("connector.config.region", "invalid_choice"),
    ),
    Hostile("NUL in the path", "/api/demo/nope%00x/", "not_found", 404, check=stored_path_without_nul),
    Hostile("NUL in the query string", ACCOUNT + "?q=%00", "not_authenticated", 401),
    Hostile("NUL in the User-Agent", ACCOUNT, "not_authenticated", 401, headers={"User-Agent": "curl\x00evil"}),
]

for label, inbound in [
    ("CR/LF", "abc\r\nSet-Cookie: session=stolen"),
    ("spaces", "abc def"),
    ("unicode", "réq-✓-123"),
    ("10 KB", "a" * TEN_KB),
]:
    HOSTILE_INPUTS.append(
        Hostile(
            f"X-Request-Id with {label}", ACCOUNT, "not_authenticated", 401,
            headers={"X-Request-Id": inbound}, check=request_id_replaced(inbound),
        )
    )

HOSTILE_INPUTS += [
    Hostile(
        "Accept-Language garbage",
        ACCOUNT, "not_authenticated", 401, headers={"Accept-Language": "%%;q=xx,,;;q=-1,\x7f,*-*;q=9e999"},
        check=content_language("en"),
    ),
    Hostile(
        "Accept-Language 5 KB long",
        ACCOUNT, "not_authenticated", 401, headers={"Accept-Language": "xx-YY;q=0.5," * 420},
        check=content_language("en"),
    ),
]


@pytest.mark.parametrize("hostile", HOSTILE_INPUTS, ids=lambda h: h.name)
def test_hostile_input_gets_its_code_and_status(synced, hostile, caplog):
    with caplog.at_level(logging.WARNING, logger="errorregistry"):
        response = hostile.send()
    # A client's fault is neither reported as an internal error nor costs a failed audit write.
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("errorregistry")]
    body = json.loads(response.content)
    error = body["error"]
    assert (response.status_code, error["code"]) == (hostile.status, hostile.code)
    jsonschema.validate(body, envelope_schema("error"))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert is_minted_request_id(response["X-Request-Id"]) and error["request_id"] == response["X-Request-Id"]
    event = ErrorEvent.objects.get(request_id=error["request_id"])
    assert (event.code, event.http_status) == (hostile.code, hostile.status)
    if hostile.check is not None:
        hostile.check(response, error, event)


def test_unknown_code_raised_gets_a_valid_envelope_and_a_flagged_event(synced, api_client):
    response = api_client.get("/api/hostile/unknown-code/")
    body = response.json()
    assert response.status_code == 500  # the internal error's entry answers for the missing code
    jsonschema.validate(body, envelope_schema("error"))
    assert body["error"]["code"] == "no_such_code"
    assert body["error"]["message"] == "An unexpected error occurred."
    event = ErrorEvent.objects.get(request_id=response["X-Request-Id"])
    assert event.unknown_code and event.code == "no_such_code"


def test_inbound_request_id_with_cr_lf_never_reaches_a_response_header(synced, api_client):
    response = api_client.get(ACCOUNT, headers={"X-Request-Id": "x\r\nSet-Cookie: session=stolen"})
    assert "Set-Cookie" not in response
    assert all("\r" not in value and "\n" not in value for _, value in response.items())


@pytest.mark.parametrize(
    "template, expected",
    [
        ("Only {0} left.", "Only {0} left."),
        ("Look: {x.__class__}.", "Look: {x.__class__}."),
        ("{balance.__class__.__mro__}", "{balance.__class__.__mro__}"),
        ("Escaped {{ and {{balance}}.", "Escaped {{ and {{balance}}."),
        ("Unbalanced } and {balance", "Unbalanced } and {balance"),
        ("{balance} left, {required} needed", "3 left, 10 needed"),
        ("{" * 500 + "balance" + "}" * 500, "{" * 500 + "balance" + "}" * 500),
        ("x" * TEN_KB + " {balance}", "x" * TEN_KB + " 3"),
        ("Unknown {nope} is never sent raw.", "Payment Required."),  # no value: the status phrase instead
        ("Index {required[0]} stays.", "Index {required[0]} stays."),
    ],
    ids=["{0}", "{x.__class__}", "attribute chain", "{{", "}", "plain names", "brace flood", "10 KB text",
         "unknown name", "index"],
)
def test_admin_entered_message_is_data_never_a_format_string(synced, template, expected):
    row = ErrorCode.objects.get(code="insufficient_credits")
    row.message = template
    row.save()
    response = Client().post("/api/demo/exports/", headers={"X-Token-Scope": "read_write"})
    assert response.status_code == 402
    body = response.json()
    jsonschema.validate(body, envelope_schema("error"))
    assert body["error"]["message"] == expected
    assert ErrorEvent.objects.get(request_id=response["X-Request-Id"]).message == expected


@pytest.mark.django_db
def test_basic_credentials_with_a_nul_byte_are_refused_not_crashed(api_client):
    import base64

    credentials = base64.b64encode(b"fo\x00o:bar").decode()
    response = api_client.get("/api/demo/account/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "authentication_failed")
