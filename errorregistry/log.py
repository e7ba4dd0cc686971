"""A logging filter that stamps every record with the current request ID and W3C trace,
and a formatter that writes one JSON object per record (standard library only).

    LOGGING = {"filters": {"request_id": {"()": "errorregistry.log.RequestIdFilter"}}, ...}
    # then use %(request_id)s, %(trace_id)s and %(span_id)s in a formatter ("-" outside a request),
    # or "()": "errorregistry.log.JsonFormatter" (docs/correlation.md has the whole config)

A record that already names them (the audit writer's lines about one event, logged from
its own thread) keeps its own values.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from datetime import timezone as dt_timezone

from errorregistry.request_id import current_request_id
from errorregistry.trace import current_trace


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = current_request_id.get()
            if request_id is None:
                # django.request logs after the middleware returned; the request travels with the record.
                request_id = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = request_id or "-"
        if getattr(record, "trace_id", None) is None:
            trace = current_trace.get()
            if trace is None:  # as for the request ID: django.request logs after the middleware returned
                trace = getattr(getattr(record, "request", None), "trace_context", None)
            record.trace_id = trace.trace_id if trace else "-"
            record.span_id = trace.span_id if trace else "-"
        elif getattr(record, "span_id", None) is None:
            record.span_id = "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the IDs the filter stamped, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=dt_timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "trace_id": getattr(record, "trace_id", "-"),
            "span_id": getattr(record, "span_id", "-"),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
