"""Request IDs: minted as time-sortable ULIDs, validated when they come from outside."""

from __future__ import annotations

import os
import re
import threading
import time
from contextvars import ContextVar
from datetime import datetime
from datetime import timezone as dt_timezone
from functools import lru_cache

from errorregistry.conf import registry_settings

PREFIX = "req_"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MINTED_PATTERN = re.compile(r"^req_[0-7][0-9A-HJKMNP-TV-Z]{25}$")

# Base-32 digits encoded two at a time (10 bits per lookup), most significant first:
# the first 10 digits hold the millisecond, the last 16 the 80 random bits.
_CROCKFORD_PAIRS = [high + low for high in CROCKFORD for low in CROCKFORD]
_TIME_SHIFTS = (40, 30, 20, 10, 0)
_RANDOM_SHIFTS = (70, 60, 50, 40, 30, 20, 10, 0)
_ENTROPY_CHUNK = 10 * 64  # one getrandom() call per 64 new milliseconds, not one per request

current_request_id: ContextVar[str | None] = ContextVar("errorregistry_request_id", default=None)

_lock = threading.Lock()
_last_ms = -1
_last_random = 0
_prefix_ms = -1
_prefix = ""
_entropy = b""
_entropy_at = 0


def _forget_state_in_child() -> None:
    """A forked worker must not replay its parent's entropy buffer: IDs would collide."""
    global _lock, _last_ms, _last_random, _prefix_ms, _prefix, _entropy, _entropy_at
    _lock = threading.Lock()
    _last_ms, _last_random, _prefix_ms, _prefix, _entropy, _entropy_at = -1, 0, -1, "", b"", 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_state_in_child)


def _random80() -> int:
    """79 fresh random bits (the top bit clear: headroom so increments within a millisecond cannot overflow)."""
    global _entropy, _entropy_at
    if _entropy_at >= len(_entropy):
        _entropy, _entropy_at = os.urandom(_ENTROPY_CHUNK), 0
    chunk = _entropy[_entropy_at : _entropy_at + 10]
    _entropy_at += 10
    return int.from_bytes(chunk, "big") >> 1


def new_request_id() -> str:
    """``req_`` + a 26-character ULID, monotonic within this process.

    Within one millisecond the random part is incremented instead of redrawn,
    so IDs minted by one process sort in creation order.
    """
    global _last_ms, _last_random, _prefix_ms, _prefix
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            now_ms = _last_ms
            randomness = _last_random + 1
            if randomness >= 1 << 80:  # overflow: borrow the next millisecond
                now_ms += 1
                randomness = _random80()
        else:
            randomness = _random80()
        _last_ms, _last_random = now_ms, randomness
        if now_ms != _prefix_ms:
            _prefix_ms = now_ms
            _prefix = PREFIX + "".join([_CROCKFORD_PAIRS[(now_ms >> shift) & 1023] for shift in _TIME_SHIFTS])
        prefix = _prefix
    return prefix + "".join([_CROCKFORD_PAIRS[(randomness >> shift) & 1023] for shift in _RANDOM_SHIFTS])


def is_minted_request_id(value: str) -> bool:
    """True for an ID this app mints (``req_`` + a valid ULID)."""
    return bool(MINTED_PATTERN.fullmatch(value))  # fullmatch: "$" alone would accept a trailing newline


def minted_at(value: str) -> datetime | None:
    """The moment inside a request ID this app minted (its first 10 base-32 digits), else None."""
    if not is_minted_request_id(value):
        return None
    milliseconds = 0
    for digit in value[len(PREFIX) : len(PREFIX) + 10]:
        milliseconds = milliseconds * 32 + CROCKFORD.index(digit)
    return datetime.fromtimestamp(milliseconds / 1000, tz=dt_timezone.utc)


@lru_cache(maxsize=8)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def clean_inbound_request_id(value: str | None) -> str | None:
    """A client-sent ID if it is a short ASCII token, else None (never trusted blindly)."""
    if not value:
        return None
    if len(value) > registry_settings.INBOUND_REQUEST_ID_MAX_LENGTH or not value.isascii():
        return None
    if not _compile(registry_settings.INBOUND_REQUEST_ID_PATTERN).fullmatch(value):
        return None
    return value


def normalize_lookup(value: str) -> str:
    """Forgive what a human pastes around an ID: spaces, quotes, a trailing period."""
    value = value.strip().strip("\"'`“”‘’<>").strip()
    value = value.rstrip(".,;").strip()
    return value.strip("\"'`“”‘’").strip()


def get_request_id(request) -> str:
    """The request's ID, minted here if RequestIdMiddleware did not run."""
    request_id = getattr(request, "request_id", None)
    if not request_id:
        request_id = new_request_id()
        request.request_id = request_id
    return request_id
