"""Flood control: past a rate per code and client, repeats are counted instead of stored.

A token bucket per (code, client IP) in each process admits ``burst`` events at
once and ``rate`` per second after that. What it refuses is counted into an open
flood (first and last request ID, first and last time, count); a flood closes
``window`` seconds after it opened and is then stored as one ``ErrorFlood`` row.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

# Buckets and open floods kept per process; the least recently seen are forgotten first.
MAX_TRACKED_CLIENTS = 10_000


@dataclass
class FloodLimit:
    rate: float
    burst: float
    window: float

    @classmethod
    def from_setting(cls, value: dict[str, Any] | None) -> FloodLimit | None:
        if value is None:
            return None
        return cls(rate=float(value["rate"]), burst=float(value["burst"]), window=float(value.get("window", 60)))


@dataclass
class Flood:
    code: str
    client_ip: str | None
    first_request_id: str
    first_at: datetime
    opened: float  # monotonic
    count: int = 0
    last_request_id: str = ""
    last_at: datetime = field(default_factory=timezone.now)

    def as_row(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "client_ip": self.client_ip,
            "first_request_id": self.first_request_id,
            "last_request_id": self.last_request_id,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "count": self.count,
        }


class FloodGate:
    """Admits or counts each event; thread-safe, bounded, and fresh in a forked child."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str | None], list[float]] = {}  # key -> [tokens, last refill]
        self._floods: dict[tuple[str, str | None], Flood] = {}
        self._closed: list[Flood] = []

    def admit(self, limit: FloodLimit, code: str, client_ip: str | None, request_id: str) -> bool:
        """True to store this event; False when it was counted into a flood instead."""
        key = (code, client_ip)
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.pop(key, None)  # re-inserted last: dict order is recency order
            if bucket is None:
                bucket = [limit.burst, now]
                if len(self._buckets) >= MAX_TRACKED_CLIENTS:
                    del self._buckets[next(iter(self._buckets))]
            else:
                bucket[0] = min(limit.burst, bucket[0] + (now - bucket[1]) * limit.rate)
                bucket[1] = now
            self._buckets[key] = bucket
            if bucket[0] >= 1.0:
                bucket[0] -= 1.0
                return True
            self._count(key, code, client_ip, request_id, now, limit.window)
            return False

    def _count(self, key: tuple[str, str | None], code: str, client_ip: str | None, request_id: str,
               now: float, window: float) -> None:
        flood = self._floods.get(key)
        if flood is not None and now - flood.opened >= window:
            self._closed.append(self._floods.pop(key))
            flood = None
        if flood is None:
            if len(self._floods) >= MAX_TRACKED_CLIENTS:
                self._closed.append(self._floods.pop(next(iter(self._floods))))
            flood = self._floods[key] = Flood(code, client_ip, request_id, timezone.now(), now)
        flood.count += 1
        flood.last_request_id = request_id
        flood.last_at = timezone.now()

    def take_closed(self, window: float | None, *, everything: bool = False) -> list[Flood]:
        """The floods ready to store: closed ones, those open past ``window``, or all with ``everything``."""
        now = time.monotonic()
        with self._lock:
            ready, self._closed = self._closed, []
            for key, flood in list(self._floods.items()):
                if everything or window is None or now - flood.opened >= window:
                    ready.append(self._floods.pop(key))
        return ready

    def has_open(self) -> bool:
        return bool(self._floods or self._closed)

    def forget(self) -> None:
        """Drop all state (a forked child starts with none of its parent's counts)."""
        self._lock = threading.Lock()
        self._buckets, self._floods, self._closed = {}, {}, []


def floods_at(moment: datetime, slack: timedelta = timedelta(seconds=1)):
    """The stored floods that were counting at ``moment`` (the time inside a minted request ID)."""
    from errorregistry.models import ErrorFlood

    return ErrorFlood.objects.filter(first_at__lte=moment + slack, last_at__gte=moment - slack)
