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

# The millisecond's 10 digits: the first 6 change every 2**20 ms (17 minutes) and are kept; the
# last 4 are two lookups of 10 bits each. The 16 random digits come from 16 random bytes, five
# bits of each, through one ``bytes.translate`` (256 is a multiple of 32: every digit is uniform).
_CROCKFORD_PAIRS = [high + low for high in CROCKFORD for low in CROCKFORD]
_RANDOM_DIGITS = bytes.maketrans(bytes(range(256)), bytes(ord(CROCKFORD[byte % 32]) for byte in range(256)))
_NEXT_DIGIT = dict(zip(CROCKFORD, CROCKFORD[1:]))
_ENTROPY_CHUNK = 16 * 64  # one getrandom() call per 64 new milliseconds, not one per request

current_request_id: ContextVar[str | None] = ContextVar("errorregistry_request_id", default=None)

_lock = threading.Lock()
_last_ms = -1
_last_random = ""
_high_ms = -1
_high_digits = ""
_entropy = b""
_entropy_at = 0


def _forget_state_in_child() -> None:
    """A forked worker must not replay its parent's entropy buffer: IDs would collide."""
    global _lock, _last_ms, _last_random, _high_ms, _high_digits, _entropy, _entropy_at
    _lock = threading.Lock()
    _last_ms, _last_random, _high_ms, _high_digits, _entropy, _entropy_at = -1, "", -1, "", b"", 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_state_in_child)


def _random_digits() -> str:
    """16 fresh random base-32 digits (80 bits)."""
    global _entropy, _entropy_at
    if _entropy_at >= len(_entropy):
        _entropy, _entropy_at = os.urandom(_ENTROPY_CHUNK), 0
    chunk = _entropy[_entropy_at : _entropy_at + 16]
    _entropy_at += 16
    return chunk.translate(_RANDOM_DIGITS).decode("ascii")


def _incremented(digits: str) -> str | None:
    """``digits`` + 1 in base 32, or None when they are all ``Z`` (the increment would overflow)."""
    stripped = digits.rstrip("Z")
    if not stripped:
        return None
    return stripped[:-1] + _NEXT_DIGIT[stripped[-1]] + "0" * (len(digits) - len(stripped))


def new_request_id() -> str:
    """``req_`` + a 26-character ULID, monotonic within this process.

    Within one millisecond the random part is incremented instead of redrawn,
    so IDs minted by one process sort in creation order.
    """
    global _last_ms, _last_random, _high_ms, _high_digits
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        randomness = None
        if now_ms <= _last_ms:
            now_ms = _last_ms
            randomness = _incremented(_last_random)
            if randomness is None:  # overflow: borrow the next millisecond
                now_ms += 1
        if randomness is None:
            randomness = _random_digits()
        _last_ms, _last_random = now_ms, randomness
        if now_ms >> 20 != _high_ms:
            _high_ms = now_ms >> 20
            _high_digits = PREFIX + "".join([_CROCKFORD_PAIRS[(_high_ms >> shift) & 1023] for shift in (20, 10, 0)])
        high_digits = _high_digits
    return high_digits + _CROCKFORD_PAIRS[(now_ms >> 10) & 1023] + _CROCKFORD_PAIRS[now_ms & 1023] + randomness


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
