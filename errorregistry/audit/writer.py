"""The background audit writer: the request thread hands an event over and returns.

One writer per process owns a bounded queue and one daemon thread, started on the
first event and again in a forked child (gunicorn ``--preload``). The thread
stores events in batches, every ``AUDIT_FLUSH_INTERVAL`` seconds or
``AUDIT_BATCH_SIZE`` events, on its own database connection with a lock and
statement timeout: a locked or slow audit table delays the audit, not the API.

Nothing is lost silently: an event that cannot be stored (the queue is full,
the batch failed) goes to the ``errorregistry.audit`` logger as one JSON line,
and the writer says how many it had to log that way at most once per
``AUDIT_FAILURE_LOG_INTERVAL`` seconds. At exit it flushes for at most
``AUDIT_SHUTDOWN_TIMEOUT`` seconds; what a hard kill (SIGKILL) interrupts is lost.

``AUDIT_SINKS`` says where events go: ``"database"`` (the default), ``"log"`` (one JSON
line per event on the ``errorregistry.audit.events`` logger, for a log pipeline), or both.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import Counter
from typing import Any

from django.db import DataError, IntegrityError, connections

from errorregistry.audit.events import event_as_json
from errorregistry.audit.flood import Flood, FloodGate, FloodLimit
from errorregistry.audit.store import audit_alias, insert_rows
from errorregistry.conf import derived_from_settings, registry_settings

logger = logging.getLogger("errorregistry")
audit_logger = logging.getLogger("errorregistry.audit")
# The log sink: every event, as one JSON line at INFO (the failure log above is ERROR).
events_logger = logging.getLogger("errorregistry.audit.events")

# Errors that blame one row of a batch rather than the database: retry the rows one by one.
ROW_ERRORS = (DataError, IntegrityError)


class FailureSummary:
    """Counts events logged instead of stored, and says so at most once per interval.

    The first failure after a quiet interval is reported at once; later ones are
    added up and reported when the interval has passed (or at exit).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reasons: Counter[str] = Counter()
        self.counting_since = 0.0
        self.reported_at = float("-inf")

    def add(self, count: int, reason: str) -> None:
        with self.lock:
            if not self.reasons:
                self.counting_since = time.monotonic()
            self.reasons[reason] += count
        self.report()

    def report(self, *, force: bool = False) -> None:
        now = time.monotonic()
        with self.lock:
            if not self.reasons or (not force and now - self.reported_at < registry_settings.AUDIT_FAILURE_LOG_INTERVAL):
                return
            reasons, self.reasons = self.reasons, Counter()
            elapsed, self.reported_at = max(now - self.counting_since, 0.0), now
        total = sum(reasons.values())
        logger.warning(
            "errorregistry: audit writer: %s event%s logged to errorregistry.audit instead of stored "
            "in the last %.0f s: %s",
            f"{total:,}",
            "" if total == 1 else "s",
            max(elapsed, 1.0),
            "; ".join(f"{count:,} {reason}" for reason, count in reasons.most_common()),
        )


def log_instead(events: list[dict[str, Any]], floods: list[Flood], reason: str, summary: FailureSummary) -> None:
    """Write events (and flood counts) the database did not take to the audit log, one JSON line each."""
    for event in events:
        # The event's own IDs on the record: this runs on the writer's thread, outside the request.
        ids = {name: event.get(name) or "-" for name in ("request_id", "trace_id", "span_id")}
        audit_logger.error(event_as_json(event), extra=ids)
    for flood in floods:
        audit_logger.error(event_as_json(dict(flood.as_row(), suppressed=True)))
    summary.add(len(events) + sum(flood.count for flood in floods), reason)


def describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__


def write(events: list[dict[str, Any]], floods: list[Flood], summary: FailureSummary,
          *, timeout: float | None = None) -> bool:
    """Send a batch to each of ``AUDIT_SINKS``; False when the database sink had to log instead
    of storing some of it. Never raises."""
    sinks = registry_settings.AUDIT_SINKS
    if "log" in sinks:
        send_to_log(events, floods)
    if "database" not in sinks:
        return True
    return store(events, floods, summary, timeout=timeout)


def send_to_log(events: list[dict[str, Any]], floods: list[Flood]) -> None:
    """The log sink: one JSON line per event, and per flood count (``suppressed: true``)."""
    for event in events:
        events_logger.info(event_as_json(event))
    for flood in floods:
        events_logger.info(event_as_json(dict(flood.as_row(), suppressed=True)))


def store(events: list[dict[str, Any]], floods: list[Flood], summary: FailureSummary,
          *, timeout: float | None = None) -> bool:
    """Store a batch, or log what could not be stored. Never raises."""
    alias = audit_alias()
    try:
        insert_rows(events, [flood.as_row() for flood in floods], alias, timeout=timeout)
    except ROW_ERRORS as error:
        if len(events) + len(floods) == 1:
            log_instead(events, floods, describe(error), summary)
            return False
        # One bad row must not take its batch with it.
        stored = [store([event], [], summary, timeout=timeout) for event in events]
        stored += [store([], [flood], summary, timeout=timeout) for flood in floods]
        return all(stored)
    except Exception as error:  # noqa: BLE001 - the database is down, locked, slow: log, never raise
        log_instead(events, floods, describe(error), summary)
        return False
    return True


def release_connection(alias: str) -> None:
    """Keep the writer's connection between batches unless it broke or outlived a positive
    ``CONN_MAX_AGE``. ``CONN_MAX_AGE = 0`` closes a request's connection when the request ends;
    the writer is no request, and reconnecting for every batch would cost more than the batch.
    (Django's own ``close_if_unusable_or_obsolete`` would also re-arm ``CONN_HEALTH_CHECKS``: one
    more round trip per batch.)"""
    connection = connections[alias]
    try:
        if connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()
        elif (
            connection.settings_dict.get("CONN_MAX_AGE") != 0
            and connection.close_at is not None
            and time.monotonic() >= connection.close_at
        ):
            connection.close()
    except Exception:  # noqa: BLE001
        logger.debug("errorregistry: closing the audit connection failed", exc_info=True)


class AuditWriter:
    """A bounded queue of events and the thread that stores them."""

    def __init__(self) -> None:
        self.gate = FloodGate()
        self.summary = FailureSummary()
        self._start_afresh()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)
        atexit.register(self.shutdown)

    def _start_afresh(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition(threading.Lock())
        self._pending: list[dict[str, Any]] = []
        self._submitted = 0
        self._done = 0
        self._floods_in_flight = 0
        self._flushing = 0
        self._stopping = False
        self._thread: threading.Thread | None = None

    def _after_fork(self) -> None:
        """A child inherits neither the thread nor the right to write its parent's events."""
        self._start_afresh()
        self.gate.forget()
        self.summary = FailureSummary()

    # The request thread's side: in-memory work only.

    def submit(self, event: dict[str, Any]) -> bool:
        """Queue ``event``; False (and the event logged) when the queue is full or the writer stops."""
        if self._pid != os.getpid():
            self._after_fork()
        with self._cond:
            accepted = not self._stopping and len(self._pending) < registry_settings.AUDIT_QUEUE_SIZE
            if accepted:
                self._pending.append(event)
                self._submitted += 1
                if len(self._pending) == 1 or len(self._pending) >= registry_settings.AUDIT_BATCH_SIZE:
                    self._cond.notify()
            reason = "writer stopping" if self._stopping else "queue full"
        if not accepted:
            log_instead([event], [], reason, self.summary)
            return False
        if self._thread is None:
            self._start_thread()
        return True

    def admit(self, code: str, client_ip: str | None, request_id: str) -> bool:
        """Flood control: True to store the event, False when it was counted as a repeat."""
        limit = flood_limit()
        return limit is None or self.gate.admit(limit, code, client_ip, request_id)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every event submitted so far, and every open flood count, is stored or logged.

        True when that happened within ``timeout`` seconds.
        """
        if self._pid != os.getpid():
            self._after_fork()
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._submitted
            if self._settled(target):
                return True
            self._flushing += 1
        self._start_thread()
        try:
            with self._cond:
                self._cond.notify_all()
                while not self._settled(target):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    if self.gate.has_open():
                        # A repeat counted after the writer went back to sleep: counting does not
                        # wake it (the request thread must stay cheap), so the flush does.
                        self._cond.notify_all()
                    self._cond.wait(remaining)
                return True
        finally:
            with self._cond:
                self._flushing -= 1

    def _settled(self, target: int) -> bool:
        return self._done >= target and not self._floods_in_flight and not self.gate.has_open()

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush for a bounded time, then stop the thread; what is still queued is logged.

        Runs at exit (gunicorn's SIGTERM, runserver's reload, the end of a command) and in tests.
        """
        if self._thread is None or self._pid != os.getpid():
            self.summary.report(force=True)
            return True
        flushed = self.flush(registry_settings.AUDIT_SHUTDOWN_TIMEOUT if timeout is None else timeout)
        with self._cond:
            self._stopping = True
            left, self._pending = self._pending, []
            self._done += len(left)
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if left:
            log_instead(left, [], "not stored before shutdown", self.summary)
        if thread is not None:
            thread.join(1.0)
        with self._cond:
            self._stopping = False
        self.summary.report(force=True)
        return flushed

    # The thread's side.

    def _start_thread(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            thread = self._thread = threading.Thread(target=self._run, name="errorregistry-audit-writer", daemon=True)
        thread.start()

    def _run(self) -> None:
        me = threading.current_thread()
        alias = audit_alias()
        try:
            while True:
                events, floods, stop = self._next_batch(me)
                if events or floods:
                    alias = audit_alias()
                    write(events, floods, self.summary, timeout=registry_settings.AUDIT_WRITE_TIMEOUT)
                    release_connection(alias)
                with self._cond:
                    self._done += len(events)
                    self._floods_in_flight -= len(floods)
                    self._cond.notify_all()
                self.summary.report()
                if stop:
                    return
        finally:
            connections[alias].close()

    def _next_batch(self, me: threading.Thread) -> tuple[list[dict[str, Any]], list[Flood], bool]:
        """Wait for events, then up to ``AUDIT_FLUSH_INTERVAL`` more for the batch to fill."""
        batch_size = registry_settings.AUDIT_BATCH_SIZE
        with self._cond:
            # Nothing queued: sleep until an event, a flush or a stop. A flush with nothing left to
            # store must not wake the thread either: it would spin, holding the GIL, until the
            # flushing thread gets to see that everything is settled.
            while self._thread is me and not self._pending:
                if self._flushing and self.gate.has_open():
                    break  # a flush stores every open flood count
                if not self._cond.wait(1.0) and self.gate.has_open():
                    break  # idle, but a flood window may have closed
            if self._thread is not me:  # shut down, or replaced after a shutdown that timed out
                return [], [], True
            deadline = time.monotonic() + registry_settings.AUDIT_FLUSH_INTERVAL
            while len(self._pending) < batch_size and not self._flushing and self._thread is me:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            events = self._pending[:batch_size]
            del self._pending[:batch_size]
            limit = flood_limit()
            floods = self.gate.take_closed(limit.window if limit else None, everything=bool(self._flushing))
            self._floods_in_flight += len(floods)
        return events, floods, False


@derived_from_settings
def flood_limit() -> FloodLimit | None:
    """``AUDIT_FLOOD_LIMIT``, parsed once per value of the setting."""
    return FloodLimit.from_setting(registry_settings.AUDIT_FLOOD_LIMIT)


writer = AuditWriter()
