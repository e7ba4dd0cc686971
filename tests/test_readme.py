"""The README's envelope examples are real: replay each request and compare (request IDs aside)."""

import json
import re
from pathlib import Path

import pytest
from django.test import override_settings

from tests.envelope.test_seeds import SEEDS

README = Path(__file__).resolve().parent.parent / "README.md"
ORDER = {"email": "x", "connector": {"name": "c", "config": {"api_key": "short", "region": "eu"}}, "items": [{"sku": "a", "qty": 0}]}


def readme_json_examples():
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", README.read_text(), re.S)]


def without_request_id(body):
    if isinstance(body, dict):
        return {k: without_request_id(v) for k, v in body.items() if k not in ("request_id", "requestId", "trace_id")}
    return body


def replay(client):
    yield client.post("/api/demo/exports/", headers={"X-Token-Scope": "read_write"})
    yield client.post("/api/demo/orders/", ORDER, format="json")
    yield client.get("/api/demo/errors/rate_limited/", headers={"Accept-Language": "fr"})
    with override_settings(
        ERROR_REGISTRY={"ENVELOPE": "problem", "KEY_STYLE": "camel", "CATALOG": "project.demo.catalog.DEMO_CODES"}
    ):
        yield client.post("/api/demo/exports/", headers={"X-Token-Scope": "read_write"})
    # The five seeds, the same validation failure in each (003 asks for French).
    for seed in sorted(SEEDS):
        with override_settings(ERROR_REGISTRY={"CATALOG": "project.demo.catalog.DEMO_CODES", **SEEDS[seed]}):
            language = {"Accept-Language": "fr"} if seed == "003" else {}
            yield client.post("/api/demo/orders/", ORDER, format="json", headers=language)


@pytest.mark.django_db
def test_readme_envelope_examples_match_what_the_code_produces(api_client):
    examples = readme_json_examples()
    responses = list(replay(api_client))
    assert len(examples) == len(responses)
    for example, response in zip(examples, responses):
        assert without_request_id(response.json()) == without_request_id(example)
