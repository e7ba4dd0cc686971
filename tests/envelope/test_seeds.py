"""The five published error pages in the seeds, reproduced with settings alone: exact bodies for a
business error, a validation error, an unknown URL and a crash, over real HTTP requests."""

import pytest
from django.test import override_settings

from errorregistry.registry.declarations import BUILTIN_CODES

DEMO = "project.demo.catalog.DEMO_CODES"
ORDER = {"email": "x", "connector": {"name": "c", "config": {"api_key": "short", "region": "eu"}}, "items": [{"sku": "a", "qty": 0}]}
FIELD_ERRORS = [
    ("email", "invalid", "Enter a valid email address."),
    ("connector.config.api_key", "min_length", "Ensure this field has at least 8 characters."),
    ("items.0.qty", "min_value", "Ensure this value is greater than or equal to 1."),
]

SEEDS = {
    "000": {"ENVELOPE": {"detail": {"code": "$code", "message": "$message", "details": "$details"}}},
    "001": {
        "ENVELOPE": {"error": {"code": "$code", "message": "$message", "trace_id": "$request_id", "details": "$field_errors|$details"}},
        "FIELD_ERRORS": "map",
    },
    "002": {
        "ENVELOPE": {"status": "error", "data": None, "error": {"code": "$code", "message": "$message"}},
        "BUILTIN_CODE_NAMES": {d.code: d.code.upper() for d in BUILTIN_CODES},
    },
    "003": {"ENVELOPE": {"error": {"code": "$code", "message": "$message", "requestId": "$request_id"}}},
    "004": {
        "ENVELOPE": {"error": {"code": "$code", "message": "$message", "request_id": "$request_id", "details": "$field_errors|$details"}},
        "FIELD_ERRORS": {"field": "$field", "message": "$message"},
        "BUILTIN_CODE_NAMES": {"not_found": "resource_not_found"},
    },
}


def four_bodies(client, seed, **headers):
    """Business error, validation error, unknown URL, crash: (status, body, request ID) each."""
    with override_settings(ERROR_REGISTRY={"CATALOG": DEMO, **SEEDS[seed]}):
        responses = [
            client.post("/api/demo/exports/", headers={"X-Token-Scope": "read_write", **headers}),
            client.post("/api/demo/orders/", ORDER, format="json", headers=headers),
            client.get("/api/no-such-url/", headers=headers),
            client.get("/api/demo/crash/", headers=headers),
        ]
    return [(r.status_code, r.json(), r["X-Request-Id"]) for r in responses]


@pytest.mark.django_db
def test_seed_000_detail_object_without_request_id(api_client):
    (s1, business, _), (s2, validation, _), (s3, unknown, _), (s4, crash, _) = four_bodies(api_client, "000")
    assert (s1, s2, s3, s4) == (402, 400, 404, 500)
    assert business == {"detail": {"code": "insufficient_credits", "message": "Not enough credits: 3 left, 10 needed.",
                                   "details": {"balance": 3, "required": 10}}}
    assert validation == {"detail": {"code": "validation_error", "message": "One or more fields failed validation.",
                                     "details": {"errors": [{"field": f, "code": c, "message": m} for f, c, m in FIELD_ERRORS]}}}
    assert unknown == {"detail": {"code": "not_found", "message": "The requested resource does not exist."}}
    assert crash == {"detail": {"code": "internal_error", "message": "An unexpected error occurred."}}


@pytest.mark.django_db
def test_seed_001_trace_id_and_field_errors_as_a_dot_path_map(api_client):
    (_, business, id1), (_, validation, id2), (_, unknown, id3), (_, crash, id4) = four_bodies(api_client, "001")
    assert business == {"error": {"code": "insufficient_credits", "message": "Not enough credits: 3 left, 10 needed.",
                                  "trace_id": id1, "details": {"balance": 3, "required": 10}}}
    assert validation == {"error": {"code": "validation_error", "message": "One or more fields failed validation.",
                                    "trace_id": id2, "details": {f: m for f, _, m in FIELD_ERRORS}}}
    assert unknown == {"error": {"code": "not_found", "message": "The requested resource does not exist.", "trace_id": id3}}
    assert crash == {"error": {"code": "internal_error", "message": "An unexpected error occurred.", "trace_id": id4}}


@pytest.mark.django_db
def test_seed_002_status_wrapper_with_upper_snake_built_in_codes(api_client):
    (_, business, _), (_, validation, _), (_, unknown, _), (_, crash, _) = four_bodies(api_client, "002")
    assert business == {"status": "error", "data": None,
                        "error": {"code": "insufficient_credits", "message": "Not enough credits: 3 left, 10 needed."}}
    assert validation == {"status": "error", "data": None,
                          "error": {"code": "VALIDATION_ERROR", "message": "One or more fields failed validation."}}
    assert unknown == {"status": "error", "data": None,
                       "error": {"code": "NOT_FOUND", "message": "The requested resource does not exist."}}
    assert crash == {"status": "error", "data": None,
                     "error": {"code": "INTERNAL_ERROR", "message": "An unexpected error occurred."}}


@pytest.mark.django_db
def test_seed_003_camel_request_id_in_french(api_client):
    bodies = four_bodies(api_client, "003", **{"Accept-Language": "fr"})
    (_, business, id1), (_, validation, id2), (_, unknown, id3), (_, crash, id4) = bodies
    assert business == {"error": {"code": "insufficient_credits", "message": business["error"]["message"], "requestId": id1}}
    assert business["error"]["message"].startswith("Crédits insuffisants")
    assert validation == {"error": {"code": "validation_error", "message": "Un ou plusieurs champs sont invalides.", "requestId": id2}}
    assert unknown == {"error": {"code": "not_found", "message": "La ressource demandée n'existe pas.", "requestId": id3}}
    assert crash == {"error": {"code": "internal_error", "message": "Une erreur inattendue s'est produite.", "requestId": id4}}


@pytest.mark.django_db
def test_seed_004_details_array_and_resource_not_found(api_client):
    (_, business, id1), (_, validation, id2), (_, unknown, id3), (_, crash, id4) = four_bodies(api_client, "004")
    assert business == {"error": {"code": "insufficient_credits", "message": "Not enough credits: 3 left, 10 needed.",
                                  "request_id": id1, "details": {"balance": 3, "required": 10}}}
    assert validation == {"error": {"code": "validation_error", "message": "One or more fields failed validation.",
                                    "request_id": id2, "details": [{"field": f, "message": m} for f, _, m in FIELD_ERRORS]}}
    assert unknown == {"error": {"code": "resource_not_found", "message": "The requested resource does not exist.", "request_id": id3}}
    assert crash == {"error": {"code": "internal_error", "message": "An unexpected error occurred.", "request_id": id4}}
