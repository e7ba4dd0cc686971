"""The support console's reads of the audit table, shaped for millions of rows.

Exact lookups on indexed columns, time-bounded ranges, keyset paging, and
never a COUNT(*) over the table or a DISTINCT: every function here is one or
two bounded queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from errorregistry.audit.flood import floods_at
from errorregistry.conf import registry_settings
from errorregistry.models import ErrorEvent, ErrorFlood
from errorregistry.request_id import PREFIX, minted_at, normalize_lookup
from errorregistry.support.charts import ChartData, counted

PAGE_SIZE = 50
LOOKUP_LIMIT = 50
AROUND = timedelta(hours=1)
# A minted ID carries the millisecond its request started; the event is stored when the response
# is rendered. The bound is generous both ways (clock steps, slow requests) and still names one or
# two partitions of a partitioned table.
MINTED_BEFORE = timedelta(minutes=5)
MINTED_AFTER = timedelta(hours=1)
RELATED_LIMIT = 10
TOP_CODES_ROWS = 10
EMBEDDED_REQUEST_ID = re.compile(r"req_[0-9A-Za-z]{26}")
EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)

# Status classes as ranges: a filter on the raw status would make the admin run DISTINCT over the table.
STATUS_CLASSES: dict[str, tuple[str, Q]] = {
    "4xx": (_("4xx client errors"), Q(http_status__gte=400, http_status__lt=500)),
    "5xx": (_("5xx server errors"), Q(http_status__gte=500)),
}


# -- lookup -------------------------------------------------------------------

REQUEST_ID = "request_id"
CLIENT_ID = "client_request_id"
TRACE_ID = "trace_id"
# A W3C trace ID as tracers print it (32 hex digits), alone or inside a pasted traceparent.
TRACE_ID_PATTERN = re.compile(r"(?:[0-9a-f]{2}-)?([0-9a-f]{32})(?:-[0-9a-f]{16}-[0-9a-f]{2})?")


@dataclass(frozen=True)
class Match:
    """One event found by a pasted ID, and which of its IDs matched.

    ``matched_on`` is ``REQUEST_ID`` (an ID this server minted), ``CLIENT_ID``
    (whatever the client sent in X-Request-Id: anyone can send any value, so
    such a match is never trusted enough to open on its own) or ``TRACE_ID``
    (the W3C trace the request belonged to: one trace may hold several errors).
    """

    event: ErrorEvent
    matched_on: str

    @property
    def is_minted(self) -> bool:
        return self.matched_on == REQUEST_ID


def lookup_candidates(raw: str) -> list[str]:
    """What a pasted ID may have meant: as typed, with the ULID upper-cased, or found inside a pasted line."""
    value = normalize_lookup(raw)
    if not value:
        return []
    candidates = [value]
    embedded = EMBEDDED_REQUEST_ID.search(value)
    if embedded and embedded.group(0) != value:
        candidates.append(embedded.group(0))
    for candidate in list(candidates):
        if candidate[: len(PREFIX)].lower() == PREFIX:
            canonical = PREFIX + candidate[len(PREFIX) :].upper()
            if canonical not in candidates:
                candidates.append(canonical)
    return candidates


def find_events(raw: str) -> list[Match]:
    """Events for a pasted ID: our own request IDs first; the client's IDs only when none of ours match.

    A client can send ``X-Request-Id: req_<anything>``; that value is stored as
    its client ID, never as our request ID, so a minted match always wins.
    """
    candidates = lookup_candidates(raw)
    if not candidates:
        return []
    trace_id = trace_id_in(candidates[0])
    if trace_id:  # never one of our request IDs, but a client's own ID may be 32 hex digits too
        traced = list(ErrorEvent.objects.filter(trace_id=trace_id)[:LOOKUP_LIMIT])
        if traced:
            return [Match(event, TRACE_ID) for event in traced]
    minted = list(by_request_id(candidates)[:LOOKUP_LIMIT])
    if minted:
        return [Match(event, REQUEST_ID) for event in minted]
    supplied = ErrorEvent.objects.filter(client_request_id__in=candidates)[:LOOKUP_LIMIT]
    return [Match(event, CLIENT_ID) for event in supplied]


def trace_id_in(value: str) -> str:
    """The trace ID in a pasted trace ID or ``traceparent`` (any case), else ""."""
    match = TRACE_ID_PATTERN.fullmatch(value.lower())
    return match.group(1) if match else ""


def by_request_id(candidates: list[str]) -> QuerySet[ErrorEvent]:
    """Events by our request ID, bounded in time by the moment minted IDs carry, so a table
    partitioned by ``created_at`` reads one or two partitions instead of all of them.

    Candidates that are not minted IDs (and, with ``TRUST_INBOUND_REQUEST_ID``, adopted IDs whose
    timestamp the client chose) are looked up by the index alone.
    """
    bounded = Q()
    unbounded: list[str] = []
    for candidate in candidates:
        moment = minted_at(candidate)
        if moment is None or registry_settings.TRUST_INBOUND_REQUEST_ID:
            unbounded.append(candidate)
        else:
            bounded |= Q(request_id=candidate, created_at__gte=moment - MINTED_BEFORE,
                         created_at__lt=moment + MINTED_AFTER)
    if unbounded:
        bounded |= Q(request_id__in=unbounded)
    return ErrorEvent.objects.filter(bounded)


def floods_counting(raw: str) -> list[ErrorFlood]:
    """For a minted request ID with no event: the floods that were counting repeats at its moment
    (flood control counts repeats instead of storing them, and the ID carries its own time)."""
    for candidate in lookup_candidates(raw):
        moment = minted_at(candidate)
        if moment is not None:
            return list(floods_at(moment)[:LOOKUP_LIMIT])
    return []


def similar_suppressed(event: ErrorEvent) -> int:
    """How many repeats of this event's code from its client flood control counted around it."""
    floods = ErrorFlood.objects.filter(
        code=event.code,
        client_ip=event.client_ip,
        first_at__gte=event.created_at - AROUND,
        first_at__lte=event.created_at + AROUND,
    )
    return floods.aggregate(total=Sum("count"))["total"] or 0


def events_around(event: ErrorEvent, **filters: str) -> list[ErrorEvent]:
    """Other events matching ``filters`` within an hour of ``event`` (a bounded time range)."""
    start, end = event.created_at - AROUND, event.created_at + AROUND
    queryset = ErrorEvent.objects.filter(created_at__gte=start, created_at__lte=end, **filters)
    return list(queryset.exclude(pk=event.pk)[:RELATED_LIMIT])


# -- keyset paging ------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in (created_at, id) order, written into page links."""

    created_at: datetime
    pk: int

    @classmethod
    def of(cls, event: ErrorEvent) -> Cursor:
        return cls(event.created_at, event.pk)

    def encode(self) -> str:
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}_{self.pk}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """A cursor from a link, or None for anything malformed (the first page is shown)."""
        match = re.fullmatch(r"(-?\d{1,19})_(\d{1,19})", text or "")
        if not match:
            return None
        try:
            created_at = EPOCH + timedelta(microseconds=int(match.group(1)))
        except OverflowError:
            return None
        return cls(created_at, int(match.group(2)))

    def before(self) -> Q:
        return Q(created_at__lt=self.created_at) | Q(created_at=self.created_at, pk__lt=self.pk)

    def after(self) -> Q:
        return Q(created_at__gt=self.created_at) | Q(created_at=self.created_at, pk__gt=self.pk)


@dataclass(frozen=True)
class KeysetPage:
    events: list[ErrorEvent]
    older: Cursor | None
    newer: Cursor | None


def keyset_page(
    queryset: QuerySet[ErrorEvent],
    *,
    older: Cursor | None = None,
    newer: Cursor | None = None,
    size: int | None = None,
) -> KeysetPage:
    """One page, newest first, found by index position rather than by OFFSET or a total count."""
    size = size or PAGE_SIZE
    if newer is not None:
        rows = list(queryset.filter(newer.after()).order_by("created_at", "id")[: size + 1])
        if len(rows) > size:
            rows = rows[:size][::-1]
            return KeysetPage(rows, older=Cursor.of(rows[-1]), newer=Cursor.of(rows[0]))
        # Nothing newer than a full page: that is the first page, as it is now.
        return keyset_page(queryset, size=size)
    ordered = queryset.order_by("-created_at", "-id")
    if older is not None:
        ordered = ordered.filter(older.before())
    rows = list(ordered[: size + 1])
    has_older = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows,
        older=Cursor.of(rows[-1]) if has_older else None,
        newer=Cursor.of(rows[0]) if older is not None and rows else None,
    )


# -- what is new or rising ------------------------------------------------------


@dataclass(frozen=True)
class CodeTrend:
    """One code's count in the chart's window against the window of the same length just before."""

    code: str
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def is_new(self) -> bool:
        return self.previous == 0 and self.count > 0

    @property
    def change_percent(self) -> int | None:
        return None if self.previous == 0 else round(100 * self.change / self.previous)


def top_codes(queryset: QuerySet[ErrorEvent] | None, chart: ChartData, *, rows: int = TOP_CODES_ROWS) -> list[CodeTrend]:
    """The chart's busiest codes with their change: the current counts come from the chart already
    drawn; the previous window costs one GROUP BY over that window only, of the counts table when
    ``queryset`` is None and the window is whole hours (as the chart), else of the events."""
    ranked = sorted(chart.code_totals.items(), key=lambda item: (-item[1], item[0]))[:rows]
    if not ranked:
        return []
    start = chart.buckets[0]
    length = chart.window.step * len(chart.buckets)
    previous: dict[str, int] = {}
    for row in counted(chart.window, queryset, "", start=start - length, end=start).filter(
        code__in=[code for code, _n in ranked]
    ):
        previous[row["code"]] = previous.get(row["code"], 0) + row["n"]
    return [CodeTrend(code, count, previous.get(code, 0)) for code, count in ranked]
