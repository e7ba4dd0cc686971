"""Request IDs: unique, valid and time-sortable by the million; inbound values never trusted blindly."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from errorregistry.models import ErrorEvent
from errorregistry.request_id import CROCKFORD, PREFIX, is_minted_request_id, new_request_id

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "/api/demo/account/"  # fails with 401 for an anonymous client, so every call is audited


def timestamp_ms(request_id: str) -> int:
    """The ULID's 48-bit millisecond timestamp (its first 10 base32 characters)."""
    value = 0
    for char in request_id[len(PREFIX) : len(PREFIX) + 10]:
        value = value * 32 + CROCKFORD.index(char)
    return value


def test_a_million_minted_ids_are_unique_valid_and_sorted_in_creation_order():
    before_ms = time.time_ns() // 1_000_000
    ids = [new_request_id() for _ in range(1_000_000)]
    after_ms = time.time_ns() // 1_000_000

    assert len(set(ids)) == len(ids)
    assert all(map(is_minted_request_id, ids))
    assert ids == sorted(ids)
    assert before_ms <= timestamp_ms(ids[0]) <= timestamp_ms(ids[-1]) <= after_ms + 1


def test_ids_stay_in_creation_order_when_the_random_part_overflows_and_when_the_high_time_digits_roll_over(monkeypatch):
    from errorregistry import request_id as module

    for name in ("_last_ms", "_last_random", "_high_ms", "_high_digits"):  # restored after the test
        monkeypatch.setattr(module, name, getattr(module, name))
    boundary = (1_800_000_000_000 >> 20 << 20) + (1 << 20)  # a millisecond whose first six digits are new
    clock = [boundary - 1]
    monkeypatch.setattr(module.time, "time_ns", lambda: clock[0] * 1_000_000)
    ids = [new_request_id()]
    monkeypatch.setattr(module, "_last_random", "Z" * 16)  # the next ID in this millisecond would overflow
    ids.append(new_request_id())  # borrows the next millisecond, which is past the boundary
    ids.append(new_request_id())  # the clock is now behind the borrowed millisecond: increments from it
    clock[0] = boundary + 5
    ids.append(new_request_id())

    assert ids == sorted(ids) and len(set(ids)) == 4
    assert all(map(is_minted_request_id, ids))
    assert [timestamp_ms(i) for i in ids] == [boundary - 1, boundary, boundary, boundary + 5]
    assert ids[1][:10] != ids[0][:10]  # the high digits were re-encoded at the boundary


def test_ids_minted_by_concurrent_threads_are_unique_and_each_thread_sees_them_ascending():
    per_thread: dict[int, list[str]] = {}

    def mint(index: int) -> None:
        per_thread[index] = [new_request_id() for _ in range(25_000)]

    threads = [threading.Thread(target=mint, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every_id = [request_id for ids in per_thread.values() for request_id in ids]
    assert len(set(every_id)) == len(every_id) == 100_000
    assert all(ids == sorted(ids) for ids in per_thread.values())


def test_ids_minted_by_separate_processes_do_not_collide():
    """Workers of one server mint independently: the 80 random bits keep them apart."""
    script = "from errorregistry.request_id import new_request_id as n; print('\\n'.join(n() for _ in range(100000)))"
    outputs = [
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
        for _ in range(2)
    ]
    first, second = (set(output.stdout.split()) for output in outputs)
    assert len(first) == len(second) == 100_000
    assert not first & second


def test_minted_id_validator_rejects_near_misses():
    minted = new_request_id()
    assert is_minted_request_id(minted)
    for near_miss in [
        minted.lower(),
        minted[:-1],
        minted + "0",
        "req-" + minted[4:],
        minted[:10] + "I" + minted[11:],  # Crockford base32 has no I, L, O, U
        minted[:10] + "U" + minted[11:],
        "req_8" + minted[5:],  # first character above 7 would overflow 128 bits
        minted + "\n",
        " " + minted,
    ]:
        assert not is_minted_request_id(near_miss), near_miss


HOSTILE_INBOUND_IDS = [
    pytest.param("", id="empty"),
    pytest.param("abc\r\nSet-Cookie: session=stolen", id="CR/LF header injection"),
    pytest.param("abc\n", id="trailing newline"),
    pytest.param("abc def", id="space"),
    pytest.param("abc\tdef", id="tab"),
    pytest.param(" abc", id="leading space"),
    pytest.param("abc\x00def", id="NUL"),
    pytest.param("réquête-1", id="non-ASCII"),
    pytest.param("ｒｅｑ１２３", id="fullwidth look-alike"),
    pytest.param("a" * 129, id="one over the length limit"),
    pytest.param("a" * 10_240, id="10 KB"),
    pytest.param("-leading-dash", id="leading punctuation"),
    pytest.param("<script>alert(1)</script>", id="markup"),
    pytest.param("'; DROP TABLE errorregistry_errorevent; --", id="SQL"),
    pytest.param("../../etc/passwd", id="path traversal"),
    pytest.param("%0d%0aX-Evil:%201", id="percent-encoded CR/LF"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("trust", [False, True], ids=["default", "TRUST_INBOUND_REQUEST_ID"])
@pytest.mark.parametrize("inbound", HOSTILE_INBOUND_IDS)
def test_hostile_inbound_request_id_is_replaced_by_a_minted_one(api_client, inbound, trust):
    with override_settings(ERROR_REGISTRY=dict(django_settings.ERROR_REGISTRY, TRUST_INBOUND_REQUEST_ID=trust)):
        response = api_client.get(ACCOUNT, headers={"X-Request-Id": inbound})
    request_id = response["X-Request-Id"]
    assert is_minted_request_id(request_id)
    assert response.json()["error"]["request_id"] == request_id
    event = ErrorEvent.objects.get(request_id=request_id)
    assert event.client_request_id == ""  # nor kept as the client's correlation ID


VALID_INBOUND_IDS = [
    "abc-123",
    "gw:7f3a.b_c-d",
    "0123456789abcdef0123456789abcdef",
    "1-5759e988-bd862e3fe1be46a994272793",
]


@pytest.mark.django_db
@pytest.mark.parametrize("inbound", VALID_INBOUND_IDS)
def test_valid_inbound_id_is_only_a_correlation_id_by_default(api_client, inbound):
    response = api_client.get(ACCOUNT, headers={"X-Request-Id": inbound})
    request_id = response["X-Request-Id"]
    assert request_id != inbound and is_minted_request_id(request_id)
    assert ErrorEvent.objects.get(request_id=request_id).client_request_id == inbound


@pytest.mark.django_db
@pytest.mark.parametrize("inbound", VALID_INBOUND_IDS)
def test_trusted_valid_inbound_id_is_adopted(api_client, inbound):
    with override_settings(ERROR_REGISTRY=dict(django_settings.ERROR_REGISTRY, TRUST_INBOUND_REQUEST_ID=True)):
        response = api_client.get(ACCOUNT, headers={"X-Request-Id": inbound})
    assert response["X-Request-Id"] == inbound
    assert response.json()["error"]["request_id"] == inbound
    assert ErrorEvent.objects.filter(request_id=inbound).exists()


@pytest.mark.django_db
def test_trusted_inbound_id_longer_than_the_audit_column_is_kept_as_correlation_id_only(api_client):
    """A valid 100-character gateway ID is not adopted (the event would not fit), but it is not lost either."""
    inbound = "gw-" + "a" * 97
    with override_settings(ERROR_REGISTRY=dict(django_settings.ERROR_REGISTRY, TRUST_INBOUND_REQUEST_ID=True)):
        response = api_client.get(ACCOUNT, headers={"X-Request-Id": inbound})
    request_id = response["X-Request-Id"]
    assert is_minted_request_id(request_id)
    assert ErrorEvent.objects.get(request_id=request_id).client_request_id == inbound


@pytest.mark.django_db
def test_inbound_validation_follows_the_length_and_pattern_settings(api_client):
    configured = dict(
        django_settings.ERROR_REGISTRY,
        TRUST_INBOUND_REQUEST_ID=True,
        INBOUND_REQUEST_ID_MAX_LENGTH=8,
        INBOUND_REQUEST_ID_PATTERN=r"[0-9]+",
    )
    with override_settings(ERROR_REGISTRY=configured):
        adopted = api_client.get(ACCOUNT, headers={"X-Request-Id": "12345678"})
        too_long = api_client.get(ACCOUNT, headers={"X-Request-Id": "123456789"})
        wrong_pattern = api_client.get(ACCOUNT, headers={"X-Request-Id": "abc"})
    assert adopted["X-Request-Id"] == "12345678"
    assert is_minted_request_id(too_long["X-Request-Id"])
    assert is_minted_request_id(wrong_pattern["X-Request-Id"])


def test_forked_workers_never_mint_the_same_id():
    """gunicorn forks its workers after the app is loaded: each child must draw its own entropy."""
    from errorregistry.request_id import new_request_id

    new_request_id()  # the parent fills its entropy buffer before forking
    read_end, write_end = os.pipe()
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:  # child
            os.close(read_end)
            ids = " ".join(new_request_id() for _ in range(50))
            os.write(write_end, (ids + "\n").encode())
            os._exit(0)
        children.append(pid)
    os.close(write_end)
    for pid in children:
        os.waitpid(pid, 0)
    with os.fdopen(read_end) as pipe:
        lines = pipe.read().split("\n")
    first, second = (set(line.split()) for line in lines[:2])
    randomness = lambda ids: {i[-16:] for i in ids}  # noqa: E731 - the 80 random bits
    assert len(first) == len(second) == 50
    assert not randomness(first) & randomness(second)


@pytest.mark.django_db
@override_settings(ERROR_REGISTRY={"TRUST_INBOUND_REQUEST_ID": True, "REQUEST_ID_HEADER": "X-Correlation-Id"})
def test_trusted_inbound_id_is_adopted_from_the_configured_header(api_client):
    response = api_client.get("/api/demo/account/", HTTP_X_CORRELATION_ID="gw-1234")
    assert response["X-Correlation-Id"] == "gw-1234"
    assert response.json()["error"]["request_id"] == "gw-1234"
