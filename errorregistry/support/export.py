"""CSV export of the support list's filtered events: streamed, bounded, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from errorregistry.models import ErrorEvent

EXPORT_LIMIT = 10_000
CHUNK_SIZE = 2_000
# The event's fields as the event page lists them, in this order.
EVENT_FIELDS = [
    "request_id",
    "client_request_id",
    "created_at",
    "code",
    "unknown_code",
    "unfilled_placeholder",
    "http_status",
    "message",
    "language",
    "method",
    "path",
    "query_string",
    "view_name",
    "user_id",
    "user_name",
    "client_ip",
    "user_agent",
    "exception_class",
    "diagnostic",
]
# The CSV's columns: the time first (what a spreadsheet sorts on), then the page's fields, the JSON ones last.
COLUMNS = [
    "created_at",
    *(name for name in EVENT_FIELDS if name not in ("created_at", "unknown_code", "unfilled_placeholder")),
    "details",
    "context",
]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_json = DjangoJSONEncoder(ensure_ascii=False, sort_keys=True)


def safe_cell(value: Any) -> Any:
    """A stored value as a CSV cell; text that a spreadsheet would evaluate is prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(dt_timezone.utc).isoformat()
    if isinstance(value, (dict, list)):
        value = _json.encode(value) if value else ""
    if isinstance(value, bool) or isinstance(value, int):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[ErrorEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for event in rows:
        yield writer.writerow([safe_cell(getattr(event, column)) for column in COLUMNS])


def export_response(queryset: QuerySet[ErrorEvent], *, limit: int | None = None) -> StreamingHttpResponse:
    """The newest ``limit`` (default ``EXPORT_LIMIT``) events of ``queryset``, newest first, read in chunks."""
    limit = limit or EXPORT_LIMIT
    rows = queryset.order_by("-created_at", "-id").only(*COLUMNS)[:limit].iterator(chunk_size=CHUNK_SIZE)
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="errors-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    response["X-Export-Limit"] = str(limit)
    return response
