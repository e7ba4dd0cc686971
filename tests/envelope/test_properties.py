"""Property tests: whatever a client sends under /api/, every error response keeps the contract.

Hypothesis generates requests (paths, methods, bodies, content types, headers,
query strings) and sends them through Django's test client. For every error
response, under each envelope preset and key style:

- the body validates against the preset's shipped JSON Schema;
- ``X-Request-Id`` equals the body's request ID;
- the content type is JSON (``application/problem+json`` for "problem");
- the status is the registry's status for the code;
- an audit row with that request ID and code exists;
- a 5xx only answers a request that asked for one (a crash endpoint or a 5xx code).
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from urllib.parse import quote

import jsonschema
import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errorregistry.registry.declarations import declared_codes
from errorregistry.envelope.formatters import camel
from errorregistry.models import ErrorEvent
from errorregistry.registry.store import registry
from errorregistry.schemas import configured_schema, envelope_schema

pytestmark = pytest.mark.django_db

EXAMPLES_PER_CONFIGURATION = 60

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PROPFIND"]

# The demo API, every endpoint.
KNOWN_PATHS = [
    "/api/demo/orders/",
    "/api/demo/teams/",
    "/api/demo/account/",
    "/api/demo/throttled/",
    "/api/demo/exports/",
    "/api/demo/crash/",
    "/api/demo/health/",
    "/api/demo/plain/missing/",
    "/api/demo/plain/forbidden/",
    "/api/demo/plain/crash/",
    "/api/demo/plain/ok/",
    "/api/demo/async/missing/",
    "/api/demo/async/crash/",
    "/api/demo/orders",  # no trailing slash: APPEND_SLASH
    "/api/errors/",
    "/api/",
]
CRASH_PATHS = {"/api/demo/crash/", "/api/demo/plain/crash/", "/api/demo/async/crash/"}

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/json; charset=no-such-charset",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "text/plain",
    "application/xml",
    "application/problem+json",
    "*/*",
    "",
]

# Every code point, lone surrogates and NUL included.
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(ANY_CHARACTER, max_size=40)
TOKEN = st.text(string.ascii_letters + string.digits + "._:-", min_size=1, max_size=70)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=20,
)

# Bodies shaped like an order, so generation reaches nested and list validation paths.
ORDER_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "email": st.one_of(st.emails(), ANY_TEXT, JSON_VALUES),
        "connector": st.one_of(
            JSON_VALUES,
            st.fixed_dictionaries(
                {},
                optional={
                    "name": st.one_of(ANY_TEXT, JSON_VALUES),
                    "config": st.one_of(
                        JSON_VALUES,
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "api_key": st.one_of(ANY_TEXT, JSON_VALUES),
                                "region": st.one_of(st.sampled_from(["eu", "us"]), ANY_TEXT, JSON_VALUES),
                            },
                        ),
                    ),
                },
            ),
        ),
        "items": st.one_of(
            JSON_VALUES,
            st.lists(
                st.fixed_dictionaries(
                    {}, optional={"sku": st.one_of(ANY_TEXT, JSON_VALUES), "qty": st.one_of(st.integers(), JSON_VALUES)}
                ),
                max_size=3,
            ),
        ),
    },
)


def _json_bytes(value) -> bytes:
    return json.dumps(value).encode()  # ensure_ascii: lone surrogates travel as \ud800 escapes


BODIES = st.one_of(
    st.none(),
    st.builds(_json_bytes, JSON_VALUES),
    st.builds(_json_bytes, ORDER_LIKE),
    st.binary(max_size=300),
    st.text(ANY_CHARACTER, max_size=80).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=4).map(
        lambda form: "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in form.items()).encode(
            "utf-8", "surrogatepass"
        )
        if all(_encodable(k) and _encodable(v) for k, v in form.items())
        else b"a=1"
    ),
)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _segment(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


PATHS = st.one_of(
    st.sampled_from(KNOWN_PATHS),
    st.builds(
        lambda code: f"/api/demo/errors/{_segment(code)}/",
        st.one_of(st.sampled_from(sorted(declared_codes())), ANY_TEXT.filter(bool)),
    ),
    st.builds(lambda kind: f"/api/demo/plain/{_segment(kind)}/", ANY_TEXT.filter(bool)),
    st.builds(
        lambda segments, slash: "/api/" + "/".join(_segment(s) for s in segments) + slash,
        st.lists(ANY_TEXT.filter(bool), min_size=1, max_size=3),
        st.sampled_from(["", "/"]),
    ),
)

QUERY_STRINGS = st.one_of(
    st.just(""),
    st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=3).map(
        lambda q: "&".join(f"{_segment(k)}={_segment(v)}" for k, v in q.items())
    ),
    st.text(string.printable, max_size=40).map(lambda q: quote(q, safe="=&%")),
)

HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "X-Request-Id": st.one_of(TOKEN, ANY_TEXT, st.just("a" * 10_000)),
        "Accept-Language": st.one_of(
            st.sampled_from(["fr", "fr-CA", "fr-ca,fr;q=0.9", "de", "en-US,fr;q=0.5", "*", "xx-YY"]), ANY_TEXT
        ),
        "Accept": st.sampled_from(["application/json", "text/html", "application/xml", "*/*", "nonsense"]),
        "Authorization": st.one_of(
            st.sampled_from(["Basic Zm9vOmJhcg==", "Basic !!!", "Bearer abc", "Basic", "Token"]), ANY_TEXT
        ),
        "X-Token-Scope": st.sampled_from(["read", "read_write"]),
        "X-Workspace": ANY_TEXT,
        "User-Agent": ANY_TEXT,
    },
)


@dataclass
class GeneratedRequest:
    method: str
    path: str
    query_string: str
    body: bytes | None
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    enforce_csrf: bool = False

    def send(self) -> object:
        client = Client(raise_request_exception=False, enforce_csrf_checks=self.enforce_csrf)
        url = f"{self.path}?{self.query_string}" if self.query_string else self.path
        kwargs = {"headers": {name: _header_text(value) for name, value in self.headers.items()}}
        if self.body is not None:
            kwargs.update(data=self.body, content_type=self.content_type)
        return client.generic(self.method, url, **kwargs)

    def asks_for_a_server_error(self) -> bool:
        if self.path in CRASH_PATHS:
            return True
        prefix = "/api/demo/errors/"
        if self.path.startswith(prefix):
            entry = registry.get(self.path[len(prefix) :].rstrip("/"))
            return entry is not None and entry.http_status >= 500
        return False


def _header_text(value: str) -> str:
    # WSGI servers hand headers over as latin-1 text; anything else arrives as its UTF-8 bytes.
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


CONTENT_TYPE = st.one_of(st.sampled_from(CONTENT_TYPES), st.text(string.printable, max_size=30))

ANY_REQUEST = st.builds(
    GeneratedRequest,
    method=st.sampled_from(METHODS),
    path=PATHS,
    query_string=QUERY_STRINGS,
    body=BODIES,
    content_type=CONTENT_TYPE,
    headers=HEADERS,
    enforce_csrf=st.booleans(),
)

# Bodies only matter where a view parses them: aim a share of the requests at those views.
BODY_REQUEST = st.builds(
    GeneratedRequest,
    method=st.sampled_from(["POST", "PUT", "PATCH"]),
    path=st.sampled_from(["/api/demo/orders/", "/api/demo/exports/"]),
    query_string=QUERY_STRINGS,
    body=BODIES,
    content_type=st.one_of(st.just("application/json"), CONTENT_TYPE),
    headers=HEADERS,
    enforce_csrf=st.booleans(),
)

BODY_REQUEST = BODY_REQUEST.map(lambda r: r if r.path.endswith("orders/") else _as_post(r))
REQUESTS = st.one_of(ANY_REQUEST, BODY_REQUEST, BODY_REQUEST)


def _as_post(request: GeneratedRequest) -> GeneratedRequest:
    request.method = "POST"
    return request


def error_object(body: dict, preset: str) -> dict:
    """The member holding code and request ID: the error object, or the problem document itself."""
    return {"error": body.get("error"), "status": body.get("error"), "detail": body.get("detail")}.get(preset) or body


def assert_keeps_the_contract(request: GeneratedRequest, response, preset: str, key_style: str) -> None:
    status = response.status_code
    request_id = response.get("X-Request-Id")
    # A response a shared cache may keep (the public catalog) must not replay one request's ID.
    shared = status < 400 and "public" in response.get("Cache-Control", "")
    assert bool(request_id) is not shared, f"X-Request-Id {request_id!r} on {status} for {request}"
    if status < 400:
        assert status < 300 or status in (301, 302), f"unexpected {status} for {request}"
        return

    assert status < 500 or request.asks_for_a_server_error(), f"a client error became {status}: {request}"
    expected_type = "application/problem+json" if preset == "problem" else "application/json"
    browsable = response["Content-Type"].startswith("text/html")
    if browsable:  # a DRF view's error, rendered by the renderer the client negotiated: DRF's HTML page
        assert request.headers.get("Accept") == "text/html", f"HTML for {request}"
    else:
        assert response["Content-Type"].split(";")[0] == expected_type

    event = ErrorEvent.objects.filter(request_id=request_id).first()
    assert event is not None, f"no audit row for {request_id} ({status}) for {request}"
    assert event.http_status == status

    if request.method == "HEAD" or browsable:  # the body is dropped, the rest of the contract holds
        assert registry.get(event.code).http_status == status
        return

    body = json.loads(response.content)
    jsonschema.validate(body, envelope_schema(preset, key_style))
    error = error_object(body, preset)
    key = camel("request_id") if key_style == "camel" else "request_id"
    assert error[key] == request_id
    entry = registry.get(error["code"])
    assert entry is not None, f"code {error['code']!r} is not in the registry"
    assert status == entry.http_status
    assert event.code == error["code"]


CONFIGURATIONS = [
    ("error", "snake", []),
    ("error", "camel", ["action", "retryable", "retry_after", "docs_url"]),
    ("detail", "snake", ["retry_after"]),
    ("detail", "camel", []),
    ("status", "snake", ["action", "docs_url"]),
    ("status", "camel", []),
    ("problem", "snake", []),
    ("problem", "camel", ["action", "retryable", "retry_after", "docs_url"]),
]


@pytest.mark.parametrize("preset, key_style, optional_members", CONFIGURATIONS)
def test_every_error_response_validates_and_is_audited(synced, preset, key_style, optional_members):
    configured = dict(
        django_settings.ERROR_REGISTRY, ENVELOPE=preset, KEY_STYLE=key_style, OPTIONAL_MEMBERS=optional_members
    )

    @settings(
        max_examples=EXAMPLES_PER_CONFIGURATION,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=REQUESTS)
    def check(request: GeneratedRequest) -> None:
        assert_keeps_the_contract(request, request.send(), preset, key_style)

    with override_settings(ERROR_REGISTRY=configured):
        check()


# Where each seed keeps its error object and request ID (None: the body carries no ID).
SEED_MEMBERS = {"000": ("detail", None), "001": ("error", "trace_id"), "002": ("error", None),
                "003": ("error", "requestId"), "004": ("error", "request_id")}


@pytest.mark.parametrize("seed", sorted(SEED_MEMBERS))
def test_every_error_response_validates_against_its_seed_templates_schema(synced, seed):
    """The schema derived from each seed's template (tests/envelope/test_seeds.py) holds for every response."""
    from tests.envelope.test_seeds import SEEDS

    wrapper, request_id_key = SEED_MEMBERS[seed]
    configured = dict(django_settings.ERROR_REGISTRY, **SEEDS[seed])

    @settings(max_examples=EXAMPLES_PER_CONFIGURATION // 3, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(request=REQUESTS)
    def check(request: GeneratedRequest) -> None:
        response = request.send()
        if response.status_code < 400 or request.method == "HEAD":
            return
        if response["Content-Type"].startswith("text/html"):  # the browsable API's page, for Accept: text/html
            assert request.headers.get("Accept") == "text/html", f"HTML for {request}"
            return
        body = json.loads(response.content)
        jsonschema.validate(body, schema)
        error = body[wrapper]
        assert registry.get(error["code"]) is not None, f"code {error['code']!r} is not in the registry"
        if request_id_key:
            assert error[request_id_key] == response["X-Request-Id"]

    with override_settings(ERROR_REGISTRY=configured):
        schema = configured_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        check()


def test_shipped_schema_files_are_the_presets_derivation():
    """The *.json files are written out by errorregistry.schemas.derive, never edited by hand."""
    from pathlib import Path

    from errorregistry.schemas.derive import PRESET_TITLES, preset_schema

    directory = Path(envelope_schema.__code__.co_filename).parent
    for preset in PRESET_TITLES:
        assert json.loads((directory / f"{preset}.json").read_text(encoding="utf-8")) == preset_schema(preset), preset


def test_schemas_reject_an_envelope_that_breaks_the_contract():
    """The schemas are strict enough to catch drift: a missing request ID or an unknown member fails."""
    valid = {"error": {"code": "not_found", "message": "Gone.", "request_id": "req_01HZX7K3Q9V1TGR8N5M2C4B6D0"}}
    jsonschema.validate(valid, envelope_schema("error"))
    for broken in (
        {"error": {"code": "not_found", "message": "Gone."}},
        {"error": dict(valid["error"], extra=1)},
        {"error": dict(valid["error"], details={"errors": [{"field": "a", "message": "m"}]})},
        {"error": dict(valid["error"], request_id="has space")},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, envelope_schema("error"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(valid, envelope_schema("error", "camel"))


@pytest.mark.parametrize("preset", ["error", "detail", "status", "problem", "drf-standardized-errors"])
@pytest.mark.parametrize("key_style", ["snake", "camel"])
def test_shipped_schemas_are_valid_draft_2020_12(preset, key_style):
    schema = envelope_schema(preset, key_style)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
